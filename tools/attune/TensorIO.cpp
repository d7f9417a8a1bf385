// See TensorIO.h.
#include "tools/attune/TensorIO.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace attune {

bool parseTokens(llvm::StringRef text, std::vector<std::vector<int64_t>> &rows,
                 llvm::StringRef option, bool sameLength) {
  llvm::SmallVector<llvm::StringRef> sequences;
  text.split(sequences, ';');
  for (llvm::StringRef sequence : sequences) {
    llvm::SmallVector<llvm::StringRef> items;
    sequence.split(items, ',');
    std::vector<int64_t> row;
    for (llvm::StringRef item : items) {
      int64_t id;
      if (item.trim().getAsInteger(10, id)) {
        llvm::errs() << "attune: '" << item << "' in --" << option << " is not an integer\n";
        return false;
      }
      // Models take ids as i32 (or i64, never past a table of 2^31 rows): a larger one
      // would be cut to another id on the way in.
      if (id < INT32_MIN || id > INT32_MAX) {
        llvm::errs() << "attune: " << id << " in --" << option
                     << " is not a token id (it does not fit 32 bits)\n";
        return false;
      }
      row.push_back(id);
    }
    if (sameLength && !rows.empty() && rows[0].size() != row.size()) {
      llvm::errs() << "attune: every sequence in --" << option << " needs the same length\n";
      return false;
    }
    rows.push_back(std::move(row));
  }
  return true;
}

OwnedTensor tokenTensor(const attune_tensor &declared, const std::vector<std::vector<int64_t>> &rows) {
  OwnedTensor t = OwnedTensor::make(declared.name, declared.dtype,
                                    {static_cast<int64_t>(rows.size()),
                                     static_cast<int64_t>(rows[0].size())});
  size_t k = 0;
  for (const auto &row : rows)
    for (int64_t id : row) {
      if (declared.dtype == ATTUNE_I64)
        reinterpret_cast<int64_t *>(t.bytes.data())[k++] = id;
      else
        reinterpret_cast<int32_t *>(t.bytes.data())[k++] = static_cast<int32_t>(id);
    }
  return t;
}

/// Copies `source` into a tensor named `name` of `dtype`, converting integer widths and
/// half-precision floats to f32.
static bool convertTensor(const attune_tensor &source, const std::string &name, attune_dtype dtype,
                   OwnedTensor &out) {
  out = OwnedTensor::make(name, dtype, std::vector<int64_t>(source.shape, source.shape + source.rank));
  size_t n = out.elements();
  if (source.dtype == dtype) {
    if (!out.bytes.empty()) // an empty tensor's buffer may be null, which memcpy must not get
      std::memcpy(out.bytes.data(), source.data, out.bytes.size());
    return true;
  }
  bool half = source.dtype == ATTUNE_F16 || source.dtype == ATTUNE_BF16;
  if (dtype == ATTUNE_F32 && half) {
    float *values = reinterpret_cast<float *>(out.bytes.data());
    for (size_t i = 0; i < n; ++i)
      values[i] = floatAt(source, i);
    return true;
  }
  if (source.dtype == ATTUNE_F32 || dtype == ATTUNE_F32 || half) {
    llvm::errs() << "attune: input '" << name << "' must be " << attune_dtype_text(dtype) << ", got "
                 << attune_dtype_text(source.dtype) << "\n";
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t v = integerAt(source, i);
    if (dtype == ATTUNE_I32 && (v < INT32_MIN || v > INT32_MAX)) {
      llvm::errs() << "attune: tensor '" << name << "' holds " << v << " at element " << i
                   << ", which does not fit the model's i32 input\n";
      return false;
    }
    if (dtype == ATTUNE_I64)
      reinterpret_cast<int64_t *>(out.bytes.data())[i] = v;
    else
      reinterpret_cast<int32_t *>(out.bytes.data())[i] = static_cast<int32_t>(v);
  }
  return true;
}

std::string shapeText(llvm::ArrayRef<int64_t> sizes) {
  std::string text = "[";
  for (auto [i, size] : llvm::enumerate(sizes))
    text += (i ? ", " : "") + std::to_string(size);
  return text + "]";
}

int64_t integerAt(const attune_tensor &t, size_t i) {
  if (t.dtype == ATTUNE_I64) {
    int64_t value;
    std::memcpy(&value, static_cast<const char *>(t.data) + i * sizeof value, sizeof value);
    return value;
  }
  int32_t value;
  std::memcpy(&value, static_cast<const char *>(t.data) + i * sizeof value, sizeof value);
  return value;
}

float floatAt(const attune_tensor &t, size_t i) {
  if (t.dtype == ATTUNE_F16 || t.dtype == ATTUNE_BF16) {
    uint16_t bits;
    std::memcpy(&bits, static_cast<const char *>(t.data) + i * sizeof bits, sizeof bits);
    return t.dtype == ATTUNE_F16 ? attune_f16_to_f32(bits) : attune_bf16_to_f32(bits);
  }
  float value;
  std::memcpy(&value, static_cast<const char *>(t.data) + i * sizeof value, sizeof value);
  return value;
}

bool checkFinite(const OwnedTensor &output) {
  attune_tensor t = output.tensor();
  if (t.dtype != ATTUNE_F32)
    return true;
  const auto *values = static_cast<const float *>(t.data);
  size_t count = output.elements(), bad = 0, first = 0;
  for (size_t i = count; i-- > 0;)
    if (!std::isfinite(values[i])) {
      ++bad;
      first = i;
    }
  if (!bad)
    return true;
  std::vector<int64_t> at(t.rank);
  size_t rest = first;
  for (int32_t k = t.rank - 1; k >= 0; --k) {
    at[k] = static_cast<int64_t>(rest % t.shape[k]);
    rest /= t.shape[k];
  }
  llvm::errs() << "attune: output '" << output.name << "' holds " << bad << " of " << count
               << " values that are not finite (the first, at " << shapeText(at) << ", is "
               << (std::isnan(values[first]) ? "nan" : values[first] > 0 ? "inf" : "-inf")
               << "): " << kNotFiniteCauses << "\n";
  return false;
}

bool readInputs(LoadedLibrary &library, const std::string &path, const std::string &rename,
                std::vector<OwnedTensor> &inputs, const std::string &entry) {
  attune_safetensors *file = nullptr;
  if (attune_safetensors_open(path.c_str(), &file) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return false;
  }
  bool ok = true;
  std::vector<attune_tensor> declared = library.inputs(entry);
  for (const attune_tensor &input : declared) {
    std::string lookup = !rename.empty() && declared.size() == 1 ? rename : input.name;
    attune_tensor found;
    if (attune_safetensors_find(file, lookup.c_str(), &found) != ATTUNE_OK) {
      llvm::errs() << "attune: input '" << input.name << "': " << attune_last_error() << "\n";
      ok = false;
      break;
    }
    OwnedTensor tensor;
    if (!(ok = convertTensor(found, input.name, input.dtype, tensor)))
      break;
    inputs.push_back(std::move(tensor));
  }
  attune_safetensors_close(file);
  return ok;
}

bool writeOutputs(const std::string &path, const std::vector<OwnedTensor> &outputs) {
  std::vector<attune_tensor> views;
  for (const OwnedTensor &t : outputs)
    views.push_back(t.tensor());
  if (attune_safetensors_write(path.c_str(), views.data(), views.size()) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    return false;
  }
  return true;
}

size_t argmax(const float *values, size_t n) {
  return std::max_element(values, values + n) - values;
}

std::string besideWeights(llvm::StringRef weights, llvm::StringRef name) {
  // A model directory holds its files; a weights file or a sharded checkpoint's index lies
  // beside them.
  llvm::SmallString<256> beside(
      llvm::sys::fs::is_directory(weights) ? weights : llvm::sys::path::parent_path(weights));
  llvm::sys::path::append(beside, name);
  return llvm::sys::fs::exists(beside) ? beside.str().str() : std::string();
}

std::unique_ptr<LoadedLibrary> openWithOneSource(const std::string &input, const std::string &tokens,
                                                 llvm::StringRef tokensOption,
                                                 const std::string &library,
                                                 const std::string &modelName,
                                                 const std::string &weights, int &exitCode) {
  if (input.empty() == tokens.empty()) {
    llvm::errs() << "attune: give exactly one of --input and --" << tokensOption << "\n";
    exitCode = 2;
    return nullptr;
  }
  exitCode = 1;
  return LoadedLibrary::open(library, modelName, weights);
}

} // namespace attune
