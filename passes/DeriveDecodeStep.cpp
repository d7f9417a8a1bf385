// attune-derive-decode-step: a KV-cached step entry derived from an entry's forward, for any
// description whose self-attention is causal. See Passes.td for the rewrite.
#include "ir/Abi.h"
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"
#include "passes/StepScores.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEDERIVEDECODESTEPPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using namespace attune;

namespace {

/// The entry's token input: its only integer argument of rank 2 ([batch, seq]).
BlockArgument tokenInput(func::FuncOp func) {
  BlockArgument found;
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || type.getRank() != 2 || !type.getElementType().isInteger())
      continue;
    if (found)
      return {};
    found = arg;
  }
  return found;
}

/// Ops whose results hold data computed from `root`. Sizes read with tensor.dim are not data:
/// a cross-attention's keys reshaped with the token batch's size do not depend on the tokens.
DenseSet<Operation *> dataDependents(Value root) {
  DenseSet<Operation *> seen;
  SmallVector<Value> work{root};
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (isa<tensor::DimOp>(user) || !seen.insert(user).second)
        continue;
      llvm::append_range(work, user->getResults());
    }
  }
  return seen;
}

/// Whether `size` is the token input's length (tensor.dim of it along dim 1).
bool isTokenLength(Value size, BlockArgument tokens) {
  auto dim = size.getDefiningOp<tensor::DimOp>();
  if (!dim || dim.getSource() != tokens)
    return false;
  std::optional<int64_t> index = dim.getConstantIndex();
  return index && *index == 1;
}

/// The rewrite of one entry's clone into its step; `whyNot` says what stops it.
class StepDeriver {
public:
  StepDeriver(func::FuncOp step, std::string &whyNot)
      : step(step), whyNot(whyNot), b(step.getContext()) {}

  LogicalResult derive() {
    tokens = tokenInput(step);
    if (!tokens)
      return fail("it has no single integer [batch, seq] token input");
    DenseSet<Operation *> fromTokens = dataDependents(tokens);
    auto dependent = [&](Value v) {
      return v.getDefiningOp() && fromTokens.contains(v.getDefiningOp());
    };
    SmallVector<AttentionOp> cached, context;
    int64_t position = 0;
    WalkResult walk = step.walk([&](AttentionOp op) {
      bool key = dependent(op.getKey()), value = dependent(op.getValue());
      ++position;
      if (key != value)
        return stop(op, "its keys and values differ in depending on the tokens");
      if (!key) {
        // Over another input (an encoder's output): the same keys every step, computed once
        // per sequence by the context entry.
        if (!argumentsRead(op.getKey()).empty() && !argumentsRead(op.getValue()).empty()) {
          context.push_back(op);
          contextPositions.push_back(position - 1);
        }
        return WalkResult::advance();
      }
      if (!op.getCausal())
        return stop(op, "self-attention over the tokens is not causal (a new token would "
                        "change earlier outputs)");
      cached.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (cached.empty())
      return fail("no causal self-attention reads its tokens");

    Location loc = step.getLoc();
    past = addInput(RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type()),
                    abi::kPastLengths, {"batch"}, /*state=*/false, loc);
    // Masks and biases of cached attentions are rebuilt over queries and keys apart; the
    // positions they were computed from in the forward are left to them.
    DenseSet<Operation *> scoreOperands;
    for (AttentionOp op : cached)
      for (Value operand : {op.getMask(), op.getBias()})
        if (operand)
          collectProducers(operand, scoreOperands);
    if (failed(offsetPositions(scoreOperands)))
      return failure();
    for (auto [index, op] : llvm::enumerate(cached))
      if (failed(cacheKeysAndValues(op, index)))
        return failure();
    for (auto [index, op] : llvm::enumerate(context))
      if (failed(readContext(op, index)))
        return failure();
    eraseDeadOps(step);
    return success();
  }

  /// Which attentions (by walk order) read context states; empty when none.
  ArrayRef<int64_t> contextAttentions() const { return contextPositions; }

  /// The context entry of `entry` (a clone of it, `context`): for the attentions at
  /// `positions` (walk order), their keys and values written into the step's context states
  /// and nothing else computed.
  static LogicalResult deriveContext(func::FuncOp context, ArrayRef<int64_t> positions,
                                     std::string &whyNot) {
    SmallVector<AttentionOp> attentions;
    context.walk([&](AttentionOp op) { attentions.push_back(op); });
    StepDeriver deriver(context, whyNot);
    auto ret = cast<func::ReturnOp>(context.getBody().front().getTerminator());
    SmallVector<Value> written;
    SmallVector<DictionaryAttr> resultAttrs;
    OpBuilder b(ret);
    Value origins; // every row written from position 0: zeros, [batch]
    for (auto [index, at] : llvm::enumerate(positions)) {
      AttentionOp op = attentions[at];
      for (auto [role, value] : {std::pair{"key", op.getKey()}, {"value", op.getValue()}}) {
        std::string name = llvm::formatv("context.{0}.{1}", index, role).str();
        FailureOr<SmallVector<StringRef>> dims = deriver.contextDims(op, value);
        if (failed(dims))
          return failure();
        Value state =
            deriver.addInput(value.getType(), name, *dims, /*state=*/true, op.getLoc());
        // Written as a cache is, every row from position 0: in place into the state (a head
        // split transposed straight into it), with no temporary to copy.
        Location loc = op.getLoc();
        if (!origins) {
          auto i32 = RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
          Value rows = b.create<IotaOp>(loc, i32, b.create<tensor::DimOp>(loc, value, 0));
          Value zero = b.create<arith::ConstantOp>(
              loc, DenseElementsAttr::get(RankedTensorType::get({}, b.getI32Type()),
                                          b.getI32IntegerAttr(0)));
          origins = b.create<MulOp>(loc, i32, rows, zero);
        }
        written.push_back(
            b.create<CacheWriteOp>(loc, value.getType(), state, value, origins));
        resultAttrs.push_back(deriver.argAttrs(name, *dims, /*state=*/true));
      }
    }
    b.create<func::ReturnOp>(ret.getLoc(), written);
    ret.erase();
    context.setType(FunctionType::get(context.getContext(), context.getArgumentTypes(),
                                      ValueRange(written).getTypes()));
    context.setAllResultAttrs(resultAttrs);
    eraseDeadOps(context);
    return success();
  }

private:
  LogicalResult fail(const Twine &why) {
    whyNot = why.str();
    return failure();
  }
  LogicalResult fail(Operation *op, const Twine &why) {
    std::string where;
    llvm::raw_string_ostream os(where);
    op->getLoc().print(os);
    whyNot = (why + " (at " + where + ")").str();
    return failure();
  }
  WalkResult stop(Operation *op, const Twine &why) {
    (void)fail(op, why);
    return WalkResult::interrupt();
  }

  DictionaryAttr argAttrs(StringRef name, ArrayRef<StringRef> dims, bool state) {
    SmallVector<NamedAttribute> attrs{b.getNamedAttr(abi::kName, b.getStringAttr(name))};
    SmallVector<Attribute> dimNames;
    for (StringRef dim : dims)
      dimNames.push_back(b.getStringAttr(dim));
    attrs.push_back(b.getNamedAttr(abi::kDims, b.getArrayAttr(dimNames)));
    if (state)
      attrs.push_back(b.getNamedAttr(abi::kRole, b.getStringAttr(abi::kStateRole)));
    return b.getDictionaryAttr(attrs);
  }

  Value addInput(Type type, StringRef name, ArrayRef<StringRef> dims, bool state, Location loc) {
    unsigned index = step.getNumArguments();
    (void)step.insertArgument(index, type, argAttrs(name, dims, state), loc);
    return step.getArgument(index);
  }

  /// `past_lengths[b] + i` for the token positions `iota`, [batch, seq].
  Value rowPositions(Location loc, Value iota) {
    Type i32 = b.getI32Type();
    int64_t dynamic = ShapedType::kDynamic;
    Value rows = b.create<tensor::DimOp>(loc, past, 0);
    Value column = b.create<ReshapeOp>(loc, RankedTensorType::get({dynamic, 1}, i32), past,
                                       ValueRange{rows});
    return b.create<AddOp>(loc, RankedTensorType::get({dynamic, dynamic}, i32), column, iota);
  }

  /// Token positions `iota(seq)` become `past_lengths[b] + i`, [batch, seq]; what they reach
  /// is re-typed until the batch dim meets the activations' own. Uses by `skip` stay.
  LogicalResult offsetPositions(const DenseSet<Operation *> &skip) {
    SmallVector<IotaOp> positions;
    step.walk([&](IotaOp iota) {
      if (isTokenLength(iota.getSize(), tokens))
        positions.push_back(iota);
    });
    for (IotaOp iota : positions) {
      if (llvm::all_of(iota->getUsers(), [&](Operation *user) { return skip.contains(user); }))
        continue;
      b.setInsertionPointAfter(iota);
      Value offset = rowPositions(iota.getLoc(), iota.getResult());
      iota.getResult().replaceUsesWithIf(offset, [&](OpOperand &use) {
        return use.getOwner() != offset.getDefiningOp() && !skip.contains(use.getOwner());
      });
      if (failed(retypeUsers(offset)))
        return failure();
    }
    return success();
  }

  /// The ops `value` is computed by, within the step.
  static void collectProducers(Value value, DenseSet<Operation *> &ops) {
    Operation *op = value.getDefiningOp();
    if (!op || !ops.insert(op).second)
      return;
    for (Value operand : op->getOperands())
      collectProducers(operand, ops);
  }

  /// The names of a context state's dynamic dims: the batch, and for its length the length
  /// of the input it is computed from (an encoder output's `seq`), so the runtime binds it
  /// from that input.
  FailureOr<SmallVector<StringRef>> contextDims(AttentionOp op, Value value) {
    auto type = cast<RankedTensorType>(value.getType());
    int64_t rank = type.getRank();
    StringRef length;
    for (BlockArgument arg : argumentsRead(value)) {
      auto names = step.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), abi::kDims);
      for (Attribute name : names ? names.getValue() : ArrayRef<Attribute>{})
        if (cast<StringAttr>(name).getValue() != "batch")
          length = cast<StringAttr>(name).getValue();
      if (!length.empty())
        break;
    }
    SmallVector<StringRef> dims;
    for (int64_t i = 0; i < rank; ++i) {
      if (!type.isDynamicDim(i))
        continue;
      if (i == 0)
        dims.push_back("batch");
      else if (i == rank - 2 && !length.empty())
        dims.push_back(length);
      else
        return fail(op, "context keys with a dynamic dim that is neither the batch nor the "
                        "length of the input they come from");
    }
    return dims;
  }

  /// A context attention reads its keys and values from states the context entry wrote.
  LogicalResult readContext(AttentionOp op, size_t index) {
    for (auto [role, operand] :
         {std::pair{"key", &op.getKeyMutable()}, {"value", &op.getValueMutable()}}) {
      Value value = operand->get();
      FailureOr<SmallVector<StringRef>> dims = contextDims(op, value);
      if (failed(dims))
        return failure();
      std::string name = llvm::formatv("context.{0}.{1}", index, role).str();
      operand->assign(addInput(value.getType(), name, *dims, /*state=*/true, op.getLoc()));
    }
    return success();
  }

  /// Removes what the rewrite left without a use (the forward's masks and biases).
  static void eraseDeadOps(func::FuncOp func) {
    bool erased = true;
    while (erased) {
      erased = false;
      SmallVector<Operation *> dead;
      func.walk([&](Operation *op) {
        if (op != func && !op->hasTrait<OpTrait::IsTerminator>() && op->use_empty() &&
            isPure(op))
          dead.push_back(op);
      });
      for (Operation *op : dead)
        op->erase();
      erased = !dead.empty();
    }
  }

  LogicalResult retypeUsers(Value changed) {
    SmallVector<Operation *> work(changed.getUsers().begin(), changed.getUsers().end());
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      if (isa<RopeOp>(op))
        continue; // takes [batch, seq] positions; its result keeps the input's type
      auto infer = dyn_cast<InferTypeOpInterface>(op);
      SmallVector<Type> types;
      if (!infer ||
          failed(infer.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                        op->getAttrDictionary(), op->getPropertiesStorage(),
                                        op->getRegions(), types)))
        return fail(op, llvm::formatv("token positions reach '{0}', which cannot take one row "
                                      "of positions per sequence",
                                      op->getName().getStringRef()));
      for (auto [result, type] : llvm::zip(op->getResults(), types)) {
        if (result.getType() == type)
          continue;
        result.setType(type);
        work.append(result.getUsers().begin(), result.getUsers().end());
      }
    }
    return success();
  }

  /// A key and a value cache for `op`: the new tokens' k and v are written at each row's
  /// offset and the attention reads the whole cache, its diagonal moved by the offsets.
  LogicalResult cacheKeysAndValues(AttentionOp op, size_t index) {
    auto keyType = cast<RankedTensorType>(op.getKey().getType());
    auto valueType = cast<RankedTensorType>(op.getValue().getType());
    SmallVector<StringRef> dims;
    auto cacheType = [&](RankedTensorType type) -> RankedTensorType {
      SmallVector<int64_t> shape(type.getShape());
      shape[shape.size() - 2] = ShapedType::kDynamic;
      return RankedTensorType::get(shape, type.getElementType());
    };
    RankedTensorType keyCache = cacheType(keyType), valueCache = cacheType(valueType);
    int64_t rank = keyCache.getRank();
    if (rank < 3 || valueCache.getRank() != rank)
      return fail(op, "cached keys and values must be [batch, ..., seq, d]");
    for (int64_t i = 0; i < rank; ++i) {
      bool dynamic = keyCache.isDynamicDim(i) || valueCache.isDynamicDim(i);
      if (dynamic && i != 0 && i != rank - 2)
        return fail(op, "cached keys have a dynamic dim other than batch and length");
      if (dynamic)
        dims.push_back(i == 0 ? StringRef("batch") : StringRef(abi::kCacheDim));
    }
    Location loc = op.getLoc();
    std::string prefix = llvm::formatv("cache.{0}.", index).str();
    Value keys = addInput(keyCache, prefix + "key", dims, /*state=*/true, loc);
    Value values = addInput(valueCache, prefix + "value", dims, /*state=*/true, loc);
    b.setInsertionPoint(op);
    Value newKeys = b.create<CacheWriteOp>(loc, keyCache, keys, op.getKey(), past);
    Value newValues = b.create<CacheWriteOp>(loc, valueCache, values, op.getValue(), past);
    op.getKeyMutable().assign(newKeys);
    op.getValueMutable().assign(newValues);
    op.getQueryOffsetsMutable().assign(past);
    // Its mask and bias over the step's queries (each row's positions) and the cache's keys.
    Value cacheLength = b.create<tensor::DimOp>(loc, keys, rank - 2);
    auto isTokenPositions = [&](IotaOp iota) { return isTokenLength(iota.getSize(), tokens); };
    // Each mask or bias is rebuilt once: the layers that share it in the forward share it
    // here (every cache has the same length, the session's capacity).
    auto rebuilt = [&](Value operand) -> FailureOr<Value> {
      if (Value done = rebuiltOperands.lookup(operand))
        return done;
      if (!positions) {
        Value length = b.create<tensor::DimOp>(loc, tokens, 1);
        Value iota = b.create<IotaOp>(
            loc, RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type()), length);
        positions = rowPositions(loc, iota);
      }
      FailureOr<Value> value = rebuildScoresOperand(b, op, operand, isTokenPositions,
                                                    positions, cacheLength, whyNot);
      if (succeeded(value))
        rebuiltOperands[operand] = *value;
      return value;
    };
    if (Value mask = op.getMask()) {
      FailureOr<Value> value = rebuilt(mask);
      if (failed(value))
        return failure();
      op.getMaskMutable().assign(*value);
    }
    if (Value bias = op.getBias()) {
      FailureOr<Value> value = rebuilt(bias);
      if (failed(value))
        return failure();
      op.getBiasMutable().assign(*value);
    }

    auto ret = cast<func::ReturnOp>(step.getBody().front().getTerminator());
    for (auto [name, value] : {std::pair{prefix + "key", newKeys}, {prefix + "value", newValues}}) {
      unsigned result = step.getNumResults();
      (void)step.insertResult(result, value.getType(), argAttrs(name, dims, /*state=*/true));
      ret.getOperandsMutable().append(value);
    }
    return success();
  }

  func::FuncOp step;
  std::string &whyNot;
  OpBuilder b;
  BlockArgument tokens;
  Value past;
  Value positions; // the step's query positions, built when a mask or bias needs them
  DenseMap<Value, Value> rebuiltOperands;
  SmallVector<int64_t> contextPositions;
};

/// The cache holds at most as many tokens as the token input's length can be: the module's
/// bound of `cache` is the largest bound of a stepped length.
void recordCacheBound(ModuleOp module, func::FuncOp step) {
  auto bounds = module->getAttrOfType<DictionaryAttr>(abi::kBounds);
  auto dims = step.getArgAttrOfType<ArrayAttr>(tokenInput(step).getArgNumber(), abi::kDims);
  if (!bounds || !dims || dims.size() != 2)
    return;
  auto length = bounds.getAs<IntegerAttr>(cast<StringAttr>(dims[1]).getValue());
  if (!length)
    return;
  NamedAttrList updated(bounds);
  auto cache = bounds.getAs<IntegerAttr>(abi::kCacheDim);
  if (!cache || cache.getInt() < length.getInt())
    updated.set(abi::kCacheDim, length);
  module->setAttr(abi::kBounds, updated.getDictionary(module.getContext()));
}

struct DeriveDecodeStepPass
    : attune::impl::AttuneDeriveDecodeStepPassBase<DeriveDecodeStepPass> {
  using AttuneDeriveDecodeStepPassBase::AttuneDeriveDecodeStepPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(abi::kEntry) && !func->hasAttr(abi::kStep) && !func.isExternal())
        entries.push_back(func);
    for (func::FuncOp entry : entries) {
      auto name = entry->getAttrOfType<StringAttr>(abi::kEntry);
      std::string entryName = name && !name.getValue().empty() ? name.getValue().str()
                                                                : std::string("forward");
      std::string stepName = entryName + abi::kStepSuffix.str();
      auto step = cast<func::FuncOp>(entry->clone());
      step.setSymName(stepName);
      Builder b(&getContext());
      step->setAttr(abi::kEntry, b.getStringAttr(stepName));
      module.getBody()->getOperations().insertAfter(entry->getIterator(), step);

      std::string whyNot;
      StepDeriver deriver(step, whyNot);
      bool derived = succeeded(deriver.derive());
      if (derived && symbols.lookup(stepName) && symbols.lookup(stepName) != step)
        derived = false, whyNot = "the model already has an entry named '" + stepName + "'";
      // Keys and values over another input (cross-attention) are computed once per sequence,
      // by the context entry the runtime runs at the sequence's first step.
      func::FuncOp context;
      std::string contextName = entryName + abi::kContextSuffix.str();
      if (derived && !deriver.contextAttentions().empty()) {
        context = cast<func::FuncOp>(entry->clone());
        context.setSymName(contextName);
        context->setAttr(abi::kEntry, b.getStringAttr(contextName));
        context->setAttr(abi::kContextOf, b.getStringAttr(entryName));
        module.getBody()->getOperations().insertAfter(step->getIterator(), context);
        derived = succeeded(StepDeriver::deriveContext(context, deriver.contextAttentions(),
                                                       whyNot));
        if (derived && symbols.lookup(contextName))
          derived = false, whyNot = "the model already has an entry named '" + contextName + "'";
      }
      if (derived) {
        // A derivation that leaves an op it cannot type is dropped, not reported as an error
        // of the model: the entry itself still compiles.
        std::string diagnostics;
        ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &diag) {
          diagnostics += diag.str();
          return success();
        });
        if (failed(verify(step)) || (context && failed(verify(context))))
          derived = false, whyNot = "the derived step does not verify: " + diagnostics;
      }
      if (!derived) {
        if (context)
          context.erase();
        step.erase();
        if (report)
          entry.emitRemark("no decode step for entry '") << entryName << "': " << whyNot;
        continue;
      }
      auto tokens = step.getArgAttrOfType<StringAttr>(tokenInput(step).getArgNumber(), abi::kName);
      step->setAttr(abi::kStep,
                    b.getDictionaryAttr({b.getNamedAttr("of", b.getStringAttr(entryName)),
                                         b.getNamedAttr("tokens", tokens)}));
      recordCacheBound(module, step);
      if (report)
        entry.emitRemark("decode step '") << stepName << "' derived for entry '" << entryName
                                          << "'";
    }
  }
};

} // namespace
