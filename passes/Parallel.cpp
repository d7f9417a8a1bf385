// Task parallelism without an OpenMP runtime: kernels mark their task loop
// (scf.parallel {attune.tasks}); attune-outline-parallel turns it into a function over a task
// range and a call, and attune-lower-parallel-calls turns that call, once everything is in
// the LLVM dialect, into a call to the runtime's thread pool with a packed context:
//
//   scf.parallel (%t) = (0) to (%n) {attune.tasks} { body(%t, %a, %b) }
//     -> func.call @f_tasks0(%c0, %n, %a, %b)       func @f_tasks0(%begin, %end, %a, %b)
//     -> attune_parallel_for(@f_tasks0_trampoline, &{%a, %b}, 0, %n)
//
// Between the two passes the program is serial and complete, so every stage stays runnable.
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEOUTLINEPARALLELPASS
#define GEN_PASS_DEF_ATTUNELOWERPARALLELCALLSPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kTasksAttr = "attune.tasks";
constexpr llvm::StringLiteral kParallelTasksAttr = "attune.parallel_tasks";

/// Moves fixed-size allocas at the top level of `body` to before `loop`.
void hoistScratch(Block &body, Operation *loop) {
  for (Operation &op : llvm::make_early_inc_range(body))
    if (auto alloca = dyn_cast<memref::AllocaOp>(op); alloca && alloca.getType().hasStaticShape())
      alloca->moveBefore(loop);
}

struct OutlineParallelPass
    : attune::impl::AttuneOutlineParallelPassBase<OutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (loop->hasAttr(kTasksAttr))
        loops.push_back(loop);
    });
    SymbolTable symbols(module);
    unsigned counter = 0;
    for (scf::ParallelOp loop : loops)
      if (failed(outline(loop, symbols, counter)))
        return signalPassFailure();
  }

  LogicalResult outline(scf::ParallelOp loop, SymbolTable &symbols, unsigned &counter) {
    if (loop.getNumLoops() != 1 || loop.getNumResults() != 0 ||
        !matchPattern(loop.getStep()[0], m_One()))
      return loop.emitError("attune.tasks needs a one-dimensional scf.parallel with step 1 "
                            "and no reductions");
    // Tasks run on pool threads, outside the run's arena (runtime/src/arena.c serves the
    // thread that runs the model): scratch must be on the stack.
    WalkResult heap = loop.getBody()->walk([](Operation *op) {
      return isa<memref::AllocOp, memref::DeallocOp, memref::ReallocOp>(op)
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (heap.wasInterrupted())
      return loop.emitError("attune.tasks body allocates on the heap; task scratch must be "
                            "memref.alloca");
    auto parent = loop->getParentOfType<func::FuncOp>();
    // Values from above become arguments; constants are cloned instead (they fold there).
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(loop.getRegion(), captured);
    SmallVector<Value> arguments;
    SmallVector<Operation *> constants;
    for (Value value : captured) {
      Operation *def = value.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(def);
      else
        arguments.push_back(value);
    }

    OpBuilder b(parent->getContext());
    b.setInsertionPointAfter(parent);
    Location loc = loop.getLoc();
    SmallVector<Type> types{b.getIndexType(), b.getIndexType()};
    for (Value value : arguments)
      types.push_back(value.getType());
    std::string name;
    do
      name = (parent.getSymName() + "_tasks" + Twine(counter++)).str();
    while (symbols.lookup(name));
    auto function = b.create<func::FuncOp>(loc, name, b.getFunctionType(types, {}));
    function.setPrivate();
    function->setAttr(kParallelTasksAttr, b.getUnitAttr());
    symbols.insert(function);

    Block *entry = function.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (Operation *constant : constants)
      mapping.map(constant->getResult(0), b.clone(*constant)->getResult(0));
    for (auto [value, argument] : llvm::zip(arguments, entry->getArguments().drop_front(2)))
      mapping.map(value, argument);
    Value step = b.create<arith::ConstantIndexOp>(loc, 1);
    auto tasks = b.create<scf::ForOp>(loc, entry->getArgument(0), entry->getArgument(1), step);
    mapping.map(loop.getInductionVars()[0], tasks.getInductionVar());
    b.setInsertionPointToStart(tasks.getBody());
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
    hoistScratch(*tasks.getBody(), tasks);
    b.setInsertionPointToEnd(entry);
    b.create<func::ReturnOp>(loc);

    b.setInsertionPoint(loop);
    SmallVector<Value> operands{loop.getLowerBound()[0], loop.getUpperBound()[0]};
    operands.append(arguments);
    b.create<func::CallOp>(loc, function, operands);
    loop.erase();
    return success();
  }
};

struct LowerParallelCallsPass
    : attune::impl::AttuneLowerParallelCallsPassBase<LowerParallelCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    SymbolTable symbols(module);

    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      if (auto callee = call.getCallee())
        if (auto function = symbols.lookup<LLVM::LLVMFuncOp>(*callee);
            function && function->hasAttr(kParallelTasksAttr))
          calls.push_back(call);
    });
    if (calls.empty())
      return;

    // void attune_parallel_for(void (*)(void *, int64_t, int64_t), void *, int64_t, int64_t)
    auto i64 = b.getI64Type();
    auto runtimeType =
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr, ptr, i64, i64});
    auto runtime = symbols.lookup<LLVM::LLVMFuncOp>("attune_parallel_for");
    if (!runtime) {
      b.setInsertionPointToEnd(module.getBody());
      runtime = b.create<LLVM::LLVMFuncOp>(module.getLoc(), "attune_parallel_for", runtimeType);
      symbols.insert(runtime);
    }

    llvm::DenseMap<Operation *, LLVM::LLVMFuncOp> trampolines;
    for (LLVM::CallOp call : calls) {
      auto callee = symbols.lookup<LLVM::LLVMFuncOp>(*call.getCallee());
      LLVM::LLVMFunctionType calleeType = callee.getFunctionType();
      if (calleeType.getNumParams() < 2 || calleeType.getParamType(0) != i64 ||
          calleeType.getParamType(1) != i64) {
        callee.emitError("attune.parallel_tasks needs (i64 begin, i64 end, ...)");
        return signalPassFailure();
      }
      auto context = LLVM::LLVMStructType::getLiteral(ctx, calleeType.getParams().drop_front(2));
      LLVM::LLVMFuncOp &trampoline = trampolines[callee];
      if (!trampoline)
        trampoline = buildTrampoline(b, symbols, callee, context);

      // The context lives in the caller's frame: allocated once at its entry.
      Location loc = call.getLoc();
      auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
      b.setInsertionPointToStart(&caller.getBody().front());
      Value one = b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(1));
      Value frame = b.create<LLVM::AllocaOp>(loc, ptr, context, one, /*alignment=*/8);
      b.setInsertionPoint(call);
      for (auto [i, value] : llvm::enumerate(call.getArgOperands().drop_front(2))) {
        Value field = b.create<LLVM::GEPOp>(loc, ptr, context, frame,
                                            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        b.create<LLVM::StoreOp>(loc, value, field);
      }
      Value function = b.create<LLVM::AddressOfOp>(loc, trampoline);
      b.create<LLVM::CallOp>(loc, runtime,
                             ValueRange{function, frame, call.getArgOperands()[0],
                                        call.getArgOperands()[1]});
      call.erase();
    }
  }

  /// void <callee>_trampoline(ptr context, i64 begin, i64 end): unpacks and calls.
  static LLVM::LLVMFuncOp buildTrampoline(OpBuilder &b, SymbolTable &symbols,
                                          LLVM::LLVMFuncOp callee,
                                          LLVM::LLVMStructType context) {
    MLIRContext *ctx = b.getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = b.getI64Type();
    Location loc = callee.getLoc();
    b.setInsertionPointAfter(callee);
    auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr, i64, i64});
    auto trampoline = b.create<LLVM::LLVMFuncOp>(loc, (callee.getName() + "_trampoline").str(),
                                                 type, LLVM::Linkage::Internal);
    symbols.insert(trampoline);
    Block *entry = trampoline.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    SmallVector<Value> operands{entry->getArgument(1), entry->getArgument(2)};
    for (auto [i, fieldType] : llvm::enumerate(context.getBody())) {
      Value field = b.create<LLVM::GEPOp>(loc, ptr, context, entry->getArgument(0),
                                          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      operands.push_back(b.create<LLVM::LoadOp>(loc, fieldType, field));
    }
    b.create<LLVM::CallOp>(loc, callee, operands);
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
    return trampoline;
  }
};

} // namespace
