// attune-plan-memory: every top-level allocation of an entry becomes a view of one workspace
// at an offset planned from liveness, so a call allocates nothing and needs a number of bytes
// the library computes beforehand (Passes.td has the whole story).
//
// Sizes depend on the symbolic dims, so the plan is made at the bounds and kept as an order:
// each buffer sits above the overlapping buffers the placement put below it, at the largest of
// their ends. That is a longest path through a DAG whose nodes weigh their (symbolic) bytes:
// valid at every shape, and at the bounds never above the placement it came from.
#include "passes/Passes.h"
#include "passes/StaticSizes.h"

#include "ir/Abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/BitVector.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEPLANMEMORYPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

int64_t roundUp(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

/// One planned buffer: its allocations (the first, whose size it has, then those that took
/// its bytes in place), live range (positions of top-level ops, inclusive), bytes and offset
/// at the bounds, and the overlapping buffers placed below it.
struct Buffer {
  SmallVector<memref::AllocOp, 1> allocs;
  unsigned start = 0, end = 0;
  /// The first op that reads or writes its elements (of the first allocation).
  std::optional<unsigned> firstAccess;
  int64_t bytes = 0;
  int64_t offset = -1;
  llvm::BitVector below;

  bool overlaps(const Buffer &other) const { return start <= other.end && other.start <= end; }
};

/// Whether `op` only derives a view or reads the shape of a buffer (never its elements).
bool touchesNoElements(Operation *op) {
  return isa<ViewLikeOpInterface, memref::TransposeOp, memref::DimOp>(op);
}

/// The ops that use `alloc` or a value derived from it (views, casts, results of region ops
/// that yield it), each with the position of its top-level ancestor in `body`; none if it
/// escapes through the function's return.
std::optional<SmallVector<std::pair<unsigned, Operation *>>>
usesOf(memref::AllocOp alloc, Block &body, const DenseMap<Operation *, unsigned> &position) {
  SmallVector<std::pair<unsigned, Operation *>> uses;
  SmallVector<Value> aliases{alloc.getResult()};
  DenseSet<Value> seen{alloc.getResult()};
  auto addAlias = [&](Value value) {
    if (seen.insert(value).second)
      aliases.push_back(value);
  };
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      if (isa<func::ReturnOp>(user))
        return std::nullopt;
      Operation *ancestor = body.findAncestorOpInBlock(*user);
      if (!ancestor)
        return std::nullopt;
      uses.emplace_back(position.lookup(ancestor), user);
      // What the user derives from it may still point into it: views, casts, pointers.
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()) ||
            isa<memref::ExtractAlignedPointerAsIndexOp>(user))
          addAlias(result);
      // A region yielding it hands it to the op that holds the region.
      if (user->hasTrait<OpTrait::IsTerminator>() && user->getParentOp() != ancestor->getParentOp())
        for (Value result : user->getParentOp()->getResults())
          if (isa<BaseMemRefType>(result.getType()))
            addAlias(result);
    }
  }
  return uses;
}

/// Where `alloc` is used, as positions of top-level ops of `body`: the last use (views count)
/// and the first op that reads or writes its elements (not a view or a dim of it; none if no
/// op does). None if it escapes.
struct Uses {
  unsigned last;
  std::optional<unsigned> firstAccess;
};
std::optional<Uses> usesAt(memref::AllocOp alloc, Block &body,
                           const DenseMap<Operation *, unsigned> &position) {
  auto uses = usesOf(alloc, body, position);
  if (!uses)
    return std::nullopt;
  Uses found{position.lookup(alloc), std::nullopt};
  for (auto [at, user] : *uses) {
    found.last = std::max(found.last, at);
    if (!touchesNoElements(user))
      found.firstAccess = found.firstAccess ? std::min(*found.firstAccess, at) : at;
  }
  return found;
}

/// Why `alloc` cannot be planned, or empty if it can; fills its live range and bytes at the
/// bounds.
std::string examine(memref::AllocOp alloc, Block &body,
                    const DenseMap<Operation *, unsigned> &position, attune::StaticSizes &atBounds,
                    SmallVectorImpl<StringRef> &symbols, Buffer &buffer) {
  MemRefType type = alloc.getType();
  if (alloc->getBlock() != &body)
    return "it is inside a region (only an entry's top level is planned)";
  if (!type.getLayout().isIdentity() || type.getMemorySpace())
    return "its layout or memory space is not the default";
  if (alloc.getAlignment() && *alloc.getAlignment() > kAlignment)
    return "it asks for more than 64-byte alignment";
  if (!type.getElementType().isIntOrFloat())
    return "its elements are not integers or floats";
  SmallVector<StringRef> read;
  for (Value size : alloc.getDynamicSizes())
    if (!attune::SizeRebuilder::canRebuild(size, &read))
      return "its size is not computed from the dims of the entry's arguments";
  std::optional<Uses> uses = usesAt(alloc, body, position);
  if (!uses)
    return "it escapes through the return";
  int64_t elements = 1;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    std::optional<int64_t> size = atBounds.dimOf(alloc.getResult(), i);
    if (!size)
      return "its size at the bounds is unknown";
    elements *= *size;
  }
  for (StringRef symbol : read)
    if (!llvm::is_contained(symbols, symbol))
      symbols.push_back(symbol);
  buffer.allocs = {alloc};
  buffer.start = position.lookup(alloc);
  buffer.end = uses->last;
  buffer.firstAccess = uses->firstAccess;
  buffer.bytes = roundUp(std::max<int64_t>(
      1, elements * llvm::divideCeil(type.getElementTypeBitWidth(), 8)));
  return "";
}

/// The allocation `value` is all of, element for element at the same offsets: the
/// allocation itself or a reshape or cast of it (of an identity layout, so every element
/// keeps its place); null otherwise.
memref::AllocOp wholeAllocation(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return alloc;
    if (!isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp>(def))
      return {};
    value = def->getOperand(0);
  }
  return {};
}

/// What `value` is a view of, through views of any kind: an allocation, an argument (which
/// no plan places), or unknown (null and false).
std::pair<memref::AllocOp, bool> viewedAllocation(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return {alloc, true};
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      value = view.getViewSource();
    else if (auto transpose = dyn_cast<memref::TransposeOp>(def))
      value = transpose.getIn();
    else
      return {{}, false};
  }
  return {{}, true};
}

/// Operand pairs (read, written) of `op` where the written one may take the read one's bytes:
/// `op` reads each element of `read` at most once, before it writes the element at the same
/// place in `written`, and reads nothing else of it. Kernels say so of their arguments
/// (kInPlaceOfAttr); an elementwise linalg.generic (every loop parallel, a payload that
/// touches no memory) of an output whose old value it never reads, and an input read by the
/// same indexing map (a permutation) at the same type.
SmallVector<std::pair<OpOperand *, OpOperand *>> inPlaceOperands(Operation *op) {
  SmallVector<std::pair<OpOperand *, OpOperand *>> pairs;
  if (auto call = dyn_cast<func::CallOp>(op)) {
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr());
    if (!callee)
      return pairs;
    for (unsigned written = 0; written < callee.getNumArguments(); ++written)
      if (auto read = callee.getArgAttrOfType<IntegerAttr>(written, attune::kInPlaceOfAttr))
        pairs.emplace_back(&call->getOpOperand(read.getInt()), &call->getOpOperand(written));
    return pairs;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || !generic.hasPureBufferSemantics() ||
      generic.getNumLoops() != generic.getNumParallelLoops() ||
      !llvm::all_of(generic.getBody()->getOperations(),
                    [](Operation &payload) { return isMemoryEffectFree(&payload); }))
    return pairs;
  for (OpOperand &written : generic.getDpsInitsMutable()) {
    AffineMap map = generic.getMatchingIndexingMap(&written);
    if (generic.payloadUsesValueFromOperand(&written) || !map.isPermutation())
      continue;
    for (OpOperand *read : generic.getDpsInputOperands())
      if (generic.getMatchingIndexingMap(read) == map &&
          read->get().getType() == written.get().getType())
        pairs.emplace_back(read, &written);
  }
  return pairs;
}

/// Lets buffers written in place take the bytes of the buffers they overwrite: where a
/// top-level op reads a whole buffer for the last time and writes a whole buffer of no more
/// bytes that nothing touched before (inPlaceOperands; the first such pair of a written
/// buffer), and no other operand of the op views either, the written buffer joins the read
/// one. Returns how many joined.
unsigned shareInPlace(SmallVectorImpl<Buffer> &buffers, Block &body,
                      const DenseMap<Operation *, unsigned> &position) {
  DenseMap<Operation *, unsigned> bufferOf;
  for (auto [index, buffer] : llvm::enumerate(buffers))
    bufferOf[buffer.allocs.front()] = index;
  SmallVector<unsigned> groupOf = llvm::to_vector(llvm::seq<unsigned>(0, buffers.size()));
  unsigned joined = 0;
  for (Operation &op : body) {
    unsigned at = position.lookup(&op);
    for (auto [readOperand, writtenOperand] : inPlaceOperands(&op)) {
      // Plain pointers: lambdas below capture them (structured bindings they may not).
      OpOperand *read = readOperand, *written = writtenOperand;
      memref::AllocOp readAlloc = wholeAllocation(read->get());
      memref::AllocOp writtenAlloc = wholeAllocation(written->get());
      if (!readAlloc || !writtenAlloc || !bufferOf.count(readAlloc) ||
          !bufferOf.count(writtenAlloc))
        continue;
      unsigned into = groupOf[bufferOf[readAlloc]], from = bufferOf[writtenAlloc];
      Buffer &target = buffers[into], &source = buffers[from];
      if (into == from || groupOf[from] != from || source.allocs.size() != 1 ||
          target.end != at || source.bytes > target.bytes || source.firstAccess != at)
        continue;
      bool alone = llvm::all_of(op.getOpOperands(), [&](OpOperand &operand) {
        if (&operand == read || &operand == written ||
            !isa<BaseMemRefType>(operand.get().getType()))
          return true;
        auto [viewed, known] = viewedAllocation(operand.get());
        if (!known)
          return false;
        if (!viewed || !bufferOf.count(viewed))
          return true;
        unsigned group = groupOf[bufferOf[viewed]];
        return group != into && group != from;
      });
      if (!alone)
        continue;
      target.allocs.push_back(writtenAlloc);
      target.start = std::min(target.start, source.start);
      target.end = std::max(target.end, source.end);
      groupOf[from] = into;
      ++joined;
    }
  }
  for (unsigned index = buffers.size(); index-- > 0;)
    if (groupOf[index] != index)
      buffers.erase(buffers.begin() + index);
  return joined;
}

/// Places each buffer, largest first, at the lowest offset clear of the overlapping buffers
/// already placed (a smaller one may fill a gap below a larger one); then each buffer sits on
/// the overlapping buffers placed below it, whichever was placed first.
void place(MutableArrayRef<Buffer> buffers) {
  SmallVector<unsigned> order = llvm::to_vector(llvm::seq<unsigned>(0, buffers.size()));
  llvm::stable_sort(order, [&](unsigned a, unsigned b) {
    return buffers[a].bytes > buffers[b].bytes ||
           (buffers[a].bytes == buffers[b].bytes && buffers[a].start < buffers[b].start);
  });
  for (auto [placed, index] : llvm::enumerate(order)) {
    Buffer &buffer = buffers[index];
    SmallVector<unsigned> neighbours;
    for (unsigned other : ArrayRef<unsigned>(order).take_front(placed))
      if (buffer.overlaps(buffers[other]))
        neighbours.push_back(other);
    llvm::sort(neighbours,
               [&](unsigned a, unsigned b) { return buffers[a].offset < buffers[b].offset; });
    int64_t offset = 0;
    for (unsigned other : neighbours) {
      if (offset + buffer.bytes <= buffers[other].offset)
        break;
      offset = std::max(offset, buffers[other].offset + buffers[other].bytes);
    }
    buffer.offset = offset;
  }
  for (Buffer &buffer : buffers) {
    buffer.below.resize(buffers.size());
    for (auto [other, below] : llvm::enumerate(buffers))
      if (below.offset < buffer.offset && buffer.overlaps(below))
        buffer.below.set(other);
  }
}

/// Buffers by offset at the bounds: each after every buffer it sits on.
SmallVector<unsigned> bottomUpOrder(ArrayRef<Buffer> buffers) {
  SmallVector<unsigned> order = llvm::to_vector(llvm::seq<unsigned>(0, buffers.size()));
  llvm::stable_sort(order,
                    [&](unsigned a, unsigned b) { return buffers[a].offset < buffers[b].offset; });
  return order;
}

/// The plan's arithmetic at the builder: each buffer's bytes (rounded to the alignment) and
/// offset, in `offsets`; returns the total. Buffers are visited bottom-up (by offset at the
/// bounds), so the ends a buffer sits on are known when it is reached.
Value emitOffsets(OpBuilder &builder, Location loc, ArrayRef<Buffer> buffers,
                  attune::SizeRebuilder::SymbolValue symbolValue, SmallVectorImpl<Value> &offsets) {
  attune::SizeRebuilder rebuilder(builder, symbolValue);
  auto constant = [&](int64_t value) {
    return builder.create<arith::ConstantIndexOp>(loc, value).getResult();
  };
  SmallVector<Value> ends(buffers.size());
  offsets.assign(buffers.size(), Value());
  SmallVector<unsigned> bottomUp = bottomUpOrder(buffers);
  Value total = constant(0);
  for (unsigned index : bottomUp) {
    const Buffer &buffer = buffers[index];
    memref::AllocOp alloc = buffer.allocs.front();
    MemRefType type = alloc.getType();
    int64_t staticBytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    for (int64_t size : type.getShape())
      staticBytes *= ShapedType::isDynamic(size) ? 1 : size;
    Value bytes = constant(staticBytes);
    for (Value size : alloc.getDynamicSizes())
      bytes = builder.create<arith::MulIOp>(loc, bytes, rebuilder.rebuild(size));
    bytes = builder.create<arith::AndIOp>(
        loc, builder.create<arith::AddIOp>(loc, bytes, constant(kAlignment - 1)),
        constant(-kAlignment));
    // Only the nearest buffers below matter: one below another below this one is covered.
    llvm::BitVector nearest = buffer.below;
    for (unsigned other : buffer.below.set_bits())
      nearest.reset(buffers[other].below);
    Value offset;
    for (unsigned other : nearest.set_bits())
      offset = offset ? builder.create<arith::MaxUIOp>(loc, offset, ends[other]).getResult()
                      : ends[other];
    offsets[index] = offset ? offset : constant(0);
    ends[index] = builder.create<arith::AddIOp>(loc, offsets[index], bytes);
    total = builder.create<arith::MaxUIOp>(loc, total, ends[index]);
  }
  return total;
}

/// The largest sum of bytes live at once.
int64_t minimumBytes(ArrayRef<Buffer> buffers) {
  int64_t minimum = 0;
  for (const Buffer &at : buffers) {
    int64_t live = 0;
    for (const Buffer &buffer : buffers)
      if (buffer.start <= at.start && at.start <= buffer.end)
        live += buffer.bytes;
    minimum = std::max(minimum, live);
  }
  return minimum;
}

/// The total at the bounds of the plan as emitted (the longest path).
int64_t plannedBytes(ArrayRef<Buffer> buffers) {
  SmallVector<unsigned> bottomUp = bottomUpOrder(buffers);
  SmallVector<int64_t> ends(buffers.size(), 0);
  int64_t total = 0;
  for (unsigned index : bottomUp) {
    int64_t offset = 0;
    for (unsigned other : buffers[index].below.set_bits())
      offset = std::max(offset, ends[other]);
    ends[index] = offset + buffers[index].bytes;
    total = std::max(total, ends[index]);
  }
  return total;
}

struct PlanMemoryPass : attune::impl::AttunePlanMemoryPassBase<PlanMemoryPass> {
  using AttunePlanMemoryPassBase::AttunePlanMemoryPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<int64_t> bounds;
    if (auto attr = module->getAttrOfType<DictionaryAttr>(attune::abi::kBounds))
      for (NamedAttribute bound : attr)
        if (auto size = dyn_cast<IntegerAttr>(bound.getValue()))
          bounds[bound.getName().getValue()] = size.getInt();
    SmallVector<func::FuncOp> entries;
    for (auto function : module.getOps<func::FuncOp>())
      if (function->hasAttr(attune::abi::kEntry) && !function.isExternal())
        entries.push_back(function);
    for (func::FuncOp entry : entries)
      if (failed(plan(module, entry, bounds)))
        return signalPassFailure();
  }

  LogicalResult plan(ModuleOp module, func::FuncOp entry, const llvm::StringMap<int64_t> &bounds) {
    Block &body = entry.getBody().front();
    DenseMap<Operation *, unsigned> position;
    for (auto [index, op] : llvm::enumerate(body))
      position[&op] = index;
    attune::StaticSizes atBounds(bounds);
    SmallVector<Buffer> buffers;
    SmallVector<StringRef> symbols;
    unsigned unplanned = 0;
    entry.walk([&](memref::AllocOp alloc) {
      Buffer buffer;
      std::string why = examine(alloc, body, position, atBounds, symbols, buffer);
      if (why.empty()) {
        buffers.push_back(std::move(buffer));
        return;
      }
      ++unplanned;
      if (report)
        alloc.emitRemark("left out of the memory plan (allocated at run time): ") << why;
    });
    unsigned allocations = buffers.size();
    unsigned inPlace = shareInPlace(buffers, body, position);
    place(buffers);

    MLIRContext *context = module.getContext();
    Location loc = entry.getLoc();
    OpBuilder builder(context);
    // The workspace, the entry's last argument.
    auto workspaceType = MemRefType::get({ShapedType::kDynamic}, builder.getI8Type());
    unsigned workspaceIndex = entry.getNumArguments();
    entry.insertArgument(
        workspaceIndex, workspaceType,
        builder.getDictionaryAttr(
            {builder.getNamedAttr(attune::abi::kName, builder.getStringAttr("workspace")),
             builder.getNamedAttr(attune::abi::kRole,
                                  builder.getStringAttr(attune::abi::kWorkspaceRole))}),
        loc);
    Value workspace = entry.getArgument(workspaceIndex);

    // The size function: the plan's arithmetic from the dims given in `symbols`' order
    // (built first: the entry's part below replaces the allocations it reads).
    builder.setInsertionPointAfter(entry);
    auto i64Buffer = [&](int64_t size) {
      return MemRefType::get({size}, builder.getI64Type());
    };
    std::string name = (entry.getSymName() + attune::abi::kWorkspaceSuffix).str();
    auto sizeFunction = builder.create<func::FuncOp>(
        loc, name, builder.getFunctionType({i64Buffer(ShapedType::kDynamic), i64Buffer(1)}, {}));
    sizeFunction->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
    Block *sizeBody = sizeFunction.addEntryBlock();
    builder.setInsertionPointToStart(sizeBody);
    llvm::StringMap<Value> givenDims;
    auto givenDim = [&](OpBuilder &b, StringRef symbol) -> Value {
      if (Value known = givenDims.lookup(symbol))
        return known;
      Value index = b.create<arith::ConstantIndexOp>(loc, llvm::find(symbols, symbol) - symbols.begin());
      Value dim = b.create<memref::LoadOp>(loc, sizeBody->getArgument(0), index);
      return givenDims[symbol] = b.create<arith::IndexCastOp>(loc, b.getIndexType(), dim);
    };
    SmallVector<Value> offsets;
    Value total = emitOffsets(builder, loc, buffers, givenDim, offsets);
    Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
    builder.create<memref::StoreOp>(
        loc, builder.create<arith::IndexCastOp>(loc, builder.getI64Type(), total),
        sizeBody->getArgument(1), zero);
    builder.create<func::ReturnOp>(loc);

    // The same offsets at the top of the entry, from its arguments' dims.
    builder.setInsertionPointToStart(&body);
    llvm::StringMap<Value> symbolDims;
    auto argumentDim = [&](OpBuilder &b, StringRef symbol) -> Value {
      if (Value known = symbolDims.lookup(symbol))
        return known;
      for (BlockArgument argument : entry.getArguments()) {
        auto names = entry.getArgAttrOfType<ArrayAttr>(argument.getArgNumber(), attune::abi::kDims);
        auto type = dyn_cast<MemRefType>(argument.getType());
        for (auto [dynamic, name] : llvm::enumerate(names ? names.getValue() : ArrayRef<Attribute>()))
          if (type && cast<StringAttr>(name).getValue() == symbol) {
            int64_t dim = 0;
            for (int64_t seen = -1; dim < type.getRank(); ++dim)
              if (type.isDynamicDim(dim) && ++seen == int64_t(dynamic))
                break;
            return symbolDims[symbol] = b.create<memref::DimOp>(loc, argument, dim);
          }
      }
      llvm_unreachable("a symbol canRebuild found on an argument");
    };
    emitOffsets(builder, loc, buffers, argumentDim, offsets);
    for (auto [buffer, offset] : llvm::zip(buffers, offsets))
      for (memref::AllocOp alloc : buffer.allocs) {
        builder.setInsertionPoint(alloc);
        Value view = builder.create<memref::ViewOp>(alloc.getLoc(), alloc.getType(), workspace,
                                                    offset, alloc.getDynamicSizes());
        alloc.replaceAllUsesWith(view);
        alloc.erase();
      }

    SmallVector<Attribute> dimNames;
    for (StringRef symbol : symbols)
      dimNames.push_back(builder.getStringAttr(symbol));
    entry->setAttr(attune::abi::kWorkspace,
                   builder.getDictionaryAttr({
                       builder.getNamedAttr("size_function", FlatSymbolRefAttr::get(sizeFunction)),
                       builder.getNamedAttr("dims", builder.getArrayAttr(dimNames)),
                       builder.getNamedAttr("planned", builder.getI64IntegerAttr(plannedBytes(buffers))),
                       builder.getNamedAttr("minimum", builder.getI64IntegerAttr(minimumBytes(buffers))),
                       builder.getNamedAttr("buffers", builder.getI64IntegerAttr(allocations)),
                       builder.getNamedAttr("in_place", builder.getI64IntegerAttr(inPlace)),
                       builder.getNamedAttr("unplanned", builder.getI64IntegerAttr(unplanned)),
                   }));
    return success();
  }
};

} // namespace
