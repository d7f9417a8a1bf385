// Builds the model interface from the lowered entry function, and renders it as the runtime
// manifest and as the generated C header.
#include "backends/cpu/ModelInterface.h"
#include "ir/Abi.h"
#include "ir/Locations.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace attune {

// The public runtime header, embedded so generated headers are self-contained.
static const char *const kRuntimeHeader =
#include "backends/cpu/RuntimeHeader.inc"
    ;

static std::string dtypeOf(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isInteger(32))
    return "i32";
  if (type.isInteger(64))
    return "i64";
  return "";
}

std::string entryNameOf(func::FuncOp function) {
  auto name = function->getAttrOfType<StringAttr>(abi::kEntry);
  return name ? name.str() : "forward";
}

/// Adds the interface of one entry function to `interface`.
static LogicalResult describeEntry(func::FuncOp entry, const llvm::StringMap<int64_t> &bounds,
                                   ModelInterface &interface) {
  EntryInterface described{entryNameOf(entry), entry.getSymName().str(), {}, {}, {}, {}};
  if (auto of = entry->getAttrOfType<StringAttr>(abi::kContextOf))
    described.contextOf = of.str();
  if (auto step = entry->getAttrOfType<DictionaryAttr>(abi::kStep)) {
    auto of = step.getAs<StringAttr>("of"), tokens = step.getAs<StringAttr>("tokens");
    if (!of || !tokens)
      return entry.emitOpError("attune.step needs `of` and `tokens`");
    described.stepOf = of.str();
    described.stepTokens = tokens.str();
  }
  for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
    auto type = dyn_cast<MemRefType>(entry.getArgumentTypes()[i]);
    auto name = entry.getArgAttrOfType<StringAttr>(i, abi::kName);
    auto role = entry.getArgAttrOfType<StringAttr>(i, abi::kRole);
    if (!type || !name || !role)
      return entry.emitOpError("argument #") << i << " is not a named buffer; run "
                                                  "attune-lower-entry first";
    // A packed weight is an f32 weight to its file and callers, whatever its panels hold.
    bool packed = entry.getArgAttr(i, abi::kPacked) != nullptr;
    InterfaceArg arg{name.str(), role.str(), packed ? "f32" : dtypeOf(type.getElementType()), {}};
    if (!isa<UnknownLoc>(entry.getArgument(i).getLoc()))
      arg.location = describeLocation(entry.getArgument(i).getLoc());
    if (arg.dtype.empty())
      return entry.emitOpError("argument '") << arg.name << "' has unsupported element type "
                                             << type.getElementType();
    if (auto packed = entry.getArgAttrOfType<DictionaryAttr>(i, abi::kPacked)) {
      auto shape = packed.getAs<ArrayAttr>("shape");
      auto transposed = packed.getAs<BoolAttr>("transposed");
      auto scalesOf = packed.getAs<IntegerAttr>(abi::kPackedScales);
      arg.scales = bool(scalesOf);
      // Panels [P, K, width] (bf16 k pairs: [P, K/2, width, 2]), or the [P·width] f32 scales
      // of i8 ones.
      bool pairs = type.getRank() == 4 && type.getElementType().isBF16();
      bool typed = arg.scales ? type.getRank() == 1 && type.getElementType().isF32()
                              : type.getRank() == 3 || pairs;
      if (!shape || !transposed || !typed || !type.hasStaticShape())
        return entry.emitOpError("packed weight '")
               << arg.name << "' needs [P, K, width] panels (or their [P·width] f32 scales) "
               << "and {shape, transposed}";
      for (Attribute size : shape)
        arg.dims.push_back(std::to_string(cast<IntegerAttr>(size).getInt()));
      arg.transposed = transposed.getValue();
      if (arg.scales) {
        arg.panelWidth = scalesOf.getInt();
        described.args.push_back(std::move(arg));
        continue;
      }
      arg.panelWidth = type.getDimSize(2);
      if (pairs)
        arg.panelDtype = "bf16x2";
      else if (type.getElementType().isBF16())
        arg.panelDtype = "bf16";
      else if (type.getElementType().isInteger(8))
        arg.panelDtype = "i8";
      else if (!type.getElementType().isF32())
        return entry.emitOpError("packed weight '")
               << arg.name << "' has panels of " << type.getElementType() << " (f32, bf16 or i8)";
      described.args.push_back(std::move(arg));
      continue;
    }
    if (auto values = entry.getArgAttrOfType<DenseI64ArrayAttr>(i, abi::kValues)) {
      if (values.size() != 2 || values[0] >= values[1])
        return entry.emitOpError("values of '") << arg.name << "' need [lo, hi] with lo < hi";
      arg.values = {values[0], values[1]};
    }
    auto dimNames = entry.getArgAttrOfType<ArrayAttr>(i, abi::kDims);
    unsigned nextName = 0;
    for (int64_t size : type.getShape()) {
      if (!ShapedType::isDynamic(size)) {
        arg.dims.push_back(std::to_string(size));
        continue;
      }
      auto symbol = dimNames && nextName < dimNames.size()
                        ? dyn_cast<StringAttr>(dimNames[nextName++])
                        : StringAttr();
      if (!symbol)
        return entry.emitOpError("dynamic dims of '")
               << arg.name << "' need names (attune.dims)";
      auto bound = bounds.find(symbol.getValue());
      if (bound == bounds.end())
        return entry.emitOpError("dimension '") << symbol.getValue() << "' of '" << arg.name
                                                << "' has no bound";
      if (!llvm::is_contained(llvm::make_first_range(interface.symbols), symbol.str()))
        interface.symbols.emplace_back(symbol.str(), bound->second);
      arg.dims.push_back(symbol.str());
    }
    described.args.push_back(std::move(arg));
  }
  interface.entries.push_back(std::move(described));
  return success();
}

FailureOr<ModelInterface> describeModel(ModuleOp module, StringRef modelName,
                                        const llvm::StringMap<int64_t> &bounds) {
  ModelInterface interface;
  interface.modelName = modelName.str();
  for (auto function : module.getOps<func::FuncOp>())
    if (function->hasAttr(abi::kEntry) && failed(describeEntry(function, bounds, interface)))
      return failure();
  if (interface.entries.empty())
    return module.emitError("the module has no entry function (attribute attune.entry)");
  return interface;
}

std::string ModelInterface::manifest() const {
  std::string text = "attune-manifest 1\nmodel " + modelName + "\n";
  for (const auto &[symbol, bound] : symbols)
    text += llvm::formatv("dim {0} {1}\n", symbol, bound).str();
  for (const EntryInterface &entry : entries) {
    text += "entry " + entry.name + "\n";
    if (!entry.stepOf.empty())
      text += "step " + entry.stepOf + " " + entry.stepTokens + "\n";
    if (!entry.contextOf.empty())
      text += "context " + entry.contextOf + "\n";
    for (const InterfaceArg &arg : entry.args) {
      text += arg.role + " " + arg.name + " " + arg.dtype + " " + llvm::join(arg.dims, " ");
      if (arg.panelWidth)
        text += llvm::formatv(" {0} {1} {2}{3}", arg.scales ? "scales" : "panels", arg.panelWidth,
                              arg.transposed ? "nk" : "kn",
                              arg.panelDtype == "f32" ? "" : " " + arg.panelDtype);
      if (arg.values)
        text += llvm::formatv(" values {0} {1}", arg.values->first, arg.values->second);
      text += "\n";
    }
    if (entry.workspace)
      text += llvm::formatv("workspace {0}\n", llvm::join(entry.workspace->dims, " ")).str();
  }
  // The runtime splits a kernel line at " | ": no part may hold one, or a line break.
  auto clean = [](std::string part) {
    for (char &c : part)
      if (c == '|' || c == '\n')
        c = '/';
    return part;
  };
  for (const KernelEntry &kernel : kernels)
    text += "kernel " + clean(kernel.name) + " | " + clean(llvm::join(kernel.fused, ", ")) +
            " | " + clean(kernel.location) + "\n";
  return text;
}

LogicalResult addWorkspaces(ModuleOp module, ModelInterface &interface) {
  for (EntryInterface &entry : interface.entries) {
    auto function = module.lookupSymbol<func::FuncOp>(entry.function);
    auto plan = function ? function->getAttrOfType<DictionaryAttr>(abi::kWorkspace) : nullptr;
    if (!plan)
      continue;
    auto sizeFunction = plan.getAs<FlatSymbolRefAttr>("size_function");
    auto dims = plan.getAs<ArrayAttr>("dims");
    if (!sizeFunction || !dims)
      return function.emitOpError("attune.workspace needs `size_function` and `dims`");
    EntryInterface::Workspace workspace;
    workspace.function = sizeFunction.getValue().str();
    for (auto dim : dims.getAsRange<StringAttr>())
      workspace.dims.push_back(dim.str());
    for (auto [name, field] : {std::pair{"planned", &workspace.planned},
                               {"minimum", &workspace.minimum},
                               {"buffers", &workspace.buffers},
                               {"unplanned", &workspace.unplanned}})
      if (auto value = plan.getAs<IntegerAttr>(name))
        *field = value.getInt();
    entry.workspace = std::move(workspace);
  }
  return success();
}

std::vector<KernelEntry> kernelTableOf(ModuleOp module) {
  std::vector<KernelEntry> kernels;
  auto table = module->getAttrOfType<ArrayAttr>(abi::kKernels);
  if (!table)
    return kernels;
  for (auto entry : table.getAsRange<DictionaryAttr>()) {
    KernelEntry kernel;
    if (auto name = entry.getAs<StringAttr>("name"))
      kernel.name = name.str();
    if (auto fused = entry.getAs<ArrayAttr>("fused"))
      for (auto op : fused.getAsRange<StringAttr>())
        kernel.fused.push_back(op.str());
    if (auto location = entry.getAs<StringAttr>("location"))
      kernel.location = location.str();
    kernels.push_back(std::move(kernel));
  }
  return kernels;
}

/// A C identifier made from `name` (other characters become '_').
static std::string identifier(StringRef name) {
  std::string id;
  for (char c : name)
    id += llvm::isAlnum(c) ? c : '_';
  if (id.empty() || llvm::isDigit(id[0]))
    id = "_" + id;
  return id;
}

static const char *cType(StringRef dtype) {
  return dtype == "f32" ? "float" : dtype == "i32" ? "int32_t" : "int64_t";
}

static const char *attuneDtype(StringRef dtype) {
  return dtype == "f32" ? "ATTUNE_F32" : dtype == "i32" ? "ATTUNE_I32" : "ATTUNE_I64";
}

/// The symbolic dims of an entry's inputs and outputs, in order of first use.
static std::vector<std::string> callSymbols(const EntryInterface &entry) {
  std::vector<std::string> symbols;
  for (const InterfaceArg &arg : entry.args)
    if (arg.role == "input" || arg.role == "output")
      for (const std::string &dim : arg.dims)
        if (!llvm::isDigit(dim[0]) && !llvm::is_contained(symbols, dim))
          symbols.push_back(dim);
  return symbols;
}

/// The `inputs` and `outputs` arrays of a call, each tensor sized by the dims' names.
static void writeTensorArrays(llvm::raw_ostream &os, const EntryInterface &entry,
                              llvm::function_ref<bool(const InterfaceArg &)> skip) {
  for (StringRef role : {"input", "output"}) {
    os << "  attune_tensor " << role << "s[] = {\n";
    for (const InterfaceArg &arg : entry.args) {
      if (arg.role != role || skip(arg))
        continue;
      SmallVector<std::string> dims;
      for (const std::string &dim : arg.dims)
        dims.push_back(llvm::isDigit(dim[0]) ? dim : identifier(dim));
      os << "    {\"" << arg.name << "\", " << attuneDtype(arg.dtype) << ", " << arg.dims.size()
         << ", {" << llvm::join(dims, ", ") << "}, (void *)" << identifier(arg.name) << "},\n";
    }
    os << "  };\n";
  }
}

/// NAME_session_prefill[_ENTRY] and NAME_session_decode[_ENTRY] for a KV-cached step: typed
/// calls of attune_session_append, with the prompts (and each row's length) or one token per
/// row. The cache comes from NAME_attune_session_reserve_cache.
static void writeStepHelpers(llvm::raw_ostream &os, const std::string &id,
                             const EntryInterface &entry) {
  auto isPast = [](const InterfaceArg &arg) { return arg.name == abi::kPastLengths; };
  std::string tokenLength;
  for (const InterfaceArg &arg : entry.args)
    if (arg.name == entry.stepTokens && arg.dims.size() == 2)
      tokenLength = arg.dims[1];
  std::string suffix = entry.stepOf == "forward" ? "" : "_" + identifier(entry.stepOf);
  for (bool decode : {false, true}) {
    os << "/* " << (decode ? "Decodes one token per row" : "Prefills each row with its prompt")
       << " through the session's KV cache (entry point '" << entry.name << "'):\n";
    for (const InterfaceArg &arg : entry.args)
      if ((arg.role == "input" || arg.role == "output") && !isPast(arg))
        os << " *   " << arg.name << ": " << cType(arg.dtype) << "["
           << llvm::join(arg.dims, "][") << "]" << (arg.role == "output" ? " (written)" : "")
           << "\n";
    if (decode)
      os << " * with " << tokenLength << " = 1: each row's next token after those it holds.\n";
    else
      os << " * Row b's prompt is its first lengths[b] tokens (NULL: all " << tokenLength
         << "), the rest padding.\n";
    os << " */\nstatic inline attune_status " << id << (decode ? "_session_decode" : "_session_prefill")
       << suffix << "(attune_session *session";
    for (const std::string &symbol : callSymbols(entry))
      if (!(decode && symbol == tokenLength))
        os << ", int64_t " << identifier(symbol);
    for (const InterfaceArg &arg : entry.args)
      if ((arg.role == "input" || arg.role == "output") && !isPast(arg))
        os << ", " << (arg.role == "input" ? "const " : "") << cType(arg.dtype) << " *"
           << identifier(arg.name);
    if (!decode)
      os << ", const int64_t *lengths";
    os << ") {\n";
    if (decode)
      os << "  const int64_t " << identifier(tokenLength) << " = 1;\n";
    writeTensorArrays(os, entry, isPast);
    os << "  return " << id << "_attune_session_append(session, inputs, sizeof inputs / sizeof *inputs, "
       << (decode ? "NULL" : "lengths") << ",\n"
       << "                                outputs, sizeof outputs / sizeof *outputs);\n}\n\n";
  }
}

/// NAME_run (entry "forward") or NAME_run_ENTRY: the typed call of one entry point, taking
/// its symbolic dims, then its inputs, then its outputs; on a session, NAME_session_run[_ENTRY]
/// taking the session first.
static void writeRunHelper(llvm::raw_ostream &os, const std::string &id,
                           const EntryInterface &entry, bool onSession) {
  std::string function = id + (onSession ? "_session_run" : "_run") +
                         (entry.name == "forward" ? "" : "_" + identifier(entry.name));
  os << "/* Runs entry point '" << entry.name << "'" << (onSession ? " on a session" : "")
     << " on dense row-major buffers:\n";
  for (const InterfaceArg &arg : entry.args)
    if (arg.role != "weight")
      os << " *   " << arg.name << ": " << cType(arg.dtype) << "[" << llvm::join(arg.dims, "][")
         << "]" << (arg.role == "output" ? " (written)" : "")
         << (arg.values ? llvm::formatv(", each in [{0}, {1})", arg.values->first,
                                        arg.values->second)
                              .str()
                        : "")
         << "\n";
  os << " */\nstatic inline attune_status " << function
     << (onSession ? "(attune_session *session" : "(attune_model *model");
  for (const std::string &symbol : callSymbols(entry))
    os << ", int64_t " << identifier(symbol);
  for (const InterfaceArg &arg : entry.args)
    if (arg.role != "weight")
      os << ", " << (arg.role == "input" ? "const " : "") << cType(arg.dtype) << " *"
         << identifier(arg.name);
  os << ") {\n";
  writeTensorArrays(os, entry, [](const InterfaceArg &) { return false; });
  os << "  return " << id << (onSession ? "_attune_session_run(session" : "_attune_model_run_entry(model")
     << ", \"" << entry.name << "\", inputs, sizeof inputs / sizeof *inputs,\n"
     << "                                outputs, sizeof outputs / sizeof *outputs);\n}\n\n";
}

std::string ModelInterface::header(StringRef sourceName) const {
  std::string id = identifier(modelName);
  std::string upper = StringRef(id).upper();
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "/* " << modelName << ".h: generated by attune from " << sourceName << ".\n"
     << " * Link with lib" << modelName << ".so; it needs only libc and libm. */\n"
     << "#ifndef ATTUNE_MODEL_" << upper << "_H\n#define ATTUNE_MODEL_" << upper << "_H\n\n"
     << kRuntimeHeader << "\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* The model's interface (parsed by attune_model_open), its compiled entry points and\n"
     << " * its runtime (ABI version ATTUNE_ABI_VERSION; the runtime's own symbols are hidden). */\n"
     << "extern const char " << id << abi::kManifestSuffix.str() << "[];\n"
     << "void " << id << abi::kEntrySuffix.str() << "(int32_t entry, void **arguments);\n"
     << "const attune_runtime *" << id << abi::kRuntimeSuffix.str() << "(void);\n\n"
     << "/* Every attune_FUNCTION of the runtime API, as " << id
     << "_attune_FUNCTION: this library's runtime\n"
     << " * (its thread pool and thread count, its models and sessions), whatever else the\n"
     << " * process has loaded. */\n"
     << "#define " << upper << "_ATTUNE_WRAP_(ret, name, params, args) \\\n"
     << "  static inline ret " << id << "_attune_##name params { return " << id
     << "_runtime()->name args; }\n"
     << "#define " << upper << "_ATTUNE_WRAP_PROCEDURE_(name, params, args) \\\n"
     << "  static inline void " << id << "_attune_##name params { " << id
     << "_runtime()->name args; }\n"
     << "ATTUNE_RUNTIME_FUNCTIONS(" << upper << "_ATTUNE_WRAP_, " << upper
     << "_ATTUNE_WRAP_PROCEDURE_)\n"
     << "#undef " << upper << "_ATTUNE_WRAP_\n#undef " << upper << "_ATTUNE_WRAP_PROCEDURE_\n\n";
  for (const auto &[symbol, bound] : symbols)
    os << "#define " << upper << "_MAX_" << StringRef(identifier(symbol)).upper() << " "
       << bound << "\n";
  os << "\n/* Opens the model with its weights (safetensors, Hugging Face names); every weight is\n"
     << " * checked before this returns. Close with " << id << "_attune_model_close.\n"
     << " * ATTUNE_ERROR_LIBRARY if the library's runtime has another ABI than this header. */\n"
     << "static inline attune_status " << id
     << "_open(const char *weights_path, attune_model **model) {\n"
     << "  if (" << id << "_runtime()->abi_version != ATTUNE_ABI_VERSION)\n"
     << "    return ATTUNE_ERROR_LIBRARY;\n"
     << "  return " << id << "_attune_model_open(" << id << "_manifest, " << id
     << "_entry, weights_path, model);\n}\n\n";

  for (bool onSession : {false, true})
    for (const EntryInterface &entry : entries)
      if (entry.stepOf.empty() && entry.contextOf.empty())
        writeRunHelper(os, id, entry, onSession);
  for (const EntryInterface &entry : entries)
    if (!entry.stepOf.empty())
      writeStepHelpers(os, id, entry);
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return out;
}

} // namespace attune
