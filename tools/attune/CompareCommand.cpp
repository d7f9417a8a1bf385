// attune compare: checks tensors of one safetensors file against a reference file. Floats
// pass when max |got - ref| / max |ref| is within the tolerance; integers must match exactly.
#include "tools/attune/CommandLine.h"
#include "tools/attune/Commands.h"
#include "tools/attune/TensorIO.h"

#include "attune/runtime.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace attune;
namespace cl = llvm::cl;

namespace {

size_t elementsOf(const attune_tensor &t) {
  size_t n = 1;
  for (int32_t i = 0; i < t.rank; ++i)
    n *= static_cast<size_t>(t.shape[i]);
  return n;
}

/// Compares one pair; prints a line and returns whether it passed.
bool comparePair(const std::string &label, const attune_tensor &got, const attune_tensor &ref,
                 double tolerance) {
  bool sameShape = got.rank == ref.rank;
  for (int32_t i = 0; sameShape && i < got.rank; ++i)
    sameShape = got.shape[i] == ref.shape[i];
  if (!sameShape) {
    llvm::outs() << label << ": FAIL shapes differ\n";
    return false;
  }
  size_t n = elementsOf(got);
  auto isFloat = [](attune_dtype d) {
    return d == ATTUNE_F32 || d == ATTUNE_F16 || d == ATTUNE_BF16;
  };
  if (isFloat(got.dtype) != isFloat(ref.dtype)) {
    llvm::outs() << label << ": FAIL one is float, the other integer\n";
    return false;
  }
  if (!isFloat(got.dtype)) {
    size_t mismatches = 0, first = n;
    for (size_t i = 0; i < n; ++i)
      if (integerAt(got, i) != integerAt(ref, i)) {
        ++mismatches;
        first = std::min(first, i);
      }
    if (mismatches) {
      llvm::outs() << label << ": FAIL " << mismatches << " of " << n << " differ (first at "
                   << first << ": " << integerAt(got, first) << " vs " << integerAt(ref, first)
                   << ")\n";
      return false;
    }
    llvm::outs() << label << ": ok, all " << n << " equal\n";
    return true;
  }
  double maxDiff = 0, maxRef = 0;
  for (size_t i = 0; i < n; ++i) {
    double a = floatAt(got, i), b = floatAt(ref, i);
    double diff = std::fabs(a - b);
    if (std::isnan(diff))
      diff = INFINITY;
    maxDiff = std::max(maxDiff, diff);
    maxRef = std::max(maxRef, std::fabs(b));
  }
  double relative = maxRef > 0 ? maxDiff / maxRef : maxDiff;
  bool ok = relative <= tolerance;
  llvm::outs() << label << ": " << (ok ? "ok" : "FAIL") << " max|got-ref|/max|ref| = "
               << llvm::format("%.3e", relative) << " (tolerance "
               << llvm::format("%.0e", tolerance) << ")\n";
  return ok;
}

} // namespace

int attune::compareCommand(int argc, char **argv) {
  cl::OptionCategory category("attune compare options");
  cl::opt<std::string> gotPath(cl::Positional, cl::Required, cl::desc("<got.safetensors>"),
                               cl::cat(category));
  cl::opt<std::string> refPath(cl::Positional, cl::Required, cl::desc("<reference.safetensors>"),
                               cl::cat(category));
  cl::list<std::string> tensors("tensor", cl::desc("NAME, or GOT=REF when the names differ "
                                                   "(repeatable; default: every shared name)"),
                                cl::cat(category));
  cl::opt<double> tolerance("tolerance", cl::desc("Largest relative error for floats"),
                            cl::init(1e-5), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!parseCommandLine(argc, argv, "attune compare: check tensors against a reference\n"))
    return kExitUsage;
  if (!(tolerance >= 0) || !std::isfinite(tolerance)) {
    llvm::errs() << "attune: --tolerance must be a number >= 0, got "
                 << llvm::format("%g", double(tolerance)) << "\n";
    return kExitUsage;
  }

  attune_safetensors *got = nullptr, *ref = nullptr;
  if (attune_safetensors_open(gotPath.c_str(), &got) != ATTUNE_OK ||
      attune_safetensors_open(refPath.c_str(), &ref) != ATTUNE_OK) {
    llvm::errs() << "attune: " << attune_last_error() << "\n";
    attune_safetensors_close(got);
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string &spec : tensors) {
    size_t eq = spec.find('=');
    pairs.emplace_back(spec.substr(0, eq), eq == std::string::npos ? spec : spec.substr(eq + 1));
  }
  if (pairs.empty())
    for (size_t i = 0; i < attune_safetensors_count(got); ++i) {
      attune_tensor t, r;
      if (attune_safetensors_get(got, i, &t) == ATTUNE_OK &&
          attune_safetensors_find(ref, t.name, &r) == ATTUNE_OK)
        pairs.emplace_back(t.name, t.name);
    }
  bool ok = !pairs.empty();
  if (!ok)
    llvm::errs() << "attune: the files share no tensor names; use --tensor GOT=REF\n";
  for (const auto &[gotName, refName] : pairs) {
    attune_tensor a, b;
    if (attune_safetensors_find(got, gotName.c_str(), &a) != ATTUNE_OK ||
        attune_safetensors_find(ref, refName.c_str(), &b) != ATTUNE_OK) {
      llvm::errs() << "attune: " << attune_last_error() << "\n";
      ok = false;
      continue;
    }
    ok &= comparePair(gotName == refName ? gotName : gotName + " vs " + refName, a, b, tolerance);
  }
  attune_safetensors_close(got);
  attune_safetensors_close(ref);
  return ok ? 0 : 1;
}
