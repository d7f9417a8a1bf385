// Reading and writing the module's `attune.target` (see Target.h).
#include "ir/Target.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace attune {

void setTarget(ModuleOp module, const TargetDescription &target) {
  Builder b(module.getContext());
  SmallVector<NamedAttribute> facts{
      b.getNamedAttr("cpu", b.getStringAttr(target.cpu)),
      b.getNamedAttr("lanes", b.getI64IntegerAttr(target.lanes)),
      b.getNamedAttr("registers", b.getI64IntegerAttr(target.registers)),
      b.getNamedAttr("l1", b.getI64IntegerAttr(target.l1Bytes)),
      b.getNamedAttr("l2", b.getI64IntegerAttr(target.l2Bytes))};
  if (target.bf16Dot)
    facts.push_back(b.getNamedAttr("bf16_dot", b.getUnitAttr()));
  module->setAttr(kTargetAttrName, b.getDictionaryAttr(facts));
}

TargetDescription targetOf(Operation *op) {
  TargetDescription target;
  auto module = isa<ModuleOp>(op) ? cast<ModuleOp>(op) : op->getParentOfType<ModuleOp>();
  auto attrs = module ? module->getAttrOfType<DictionaryAttr>(kTargetAttrName) : nullptr;
  if (!attrs)
    return target;
  if (auto cpu = attrs.getAs<StringAttr>("cpu"))
    target.cpu = cpu.str();
  auto read = [&](StringRef name, int64_t &field) {
    if (auto value = attrs.getAs<IntegerAttr>(name); value && value.getInt() > 0)
      field = value.getInt();
  };
  read("lanes", target.lanes);
  read("registers", target.registers);
  read("l1", target.l1Bytes);
  read("l2", target.l2Bytes);
  target.bf16Dot = attrs.contains("bf16_dot");
  return target;
}

} // namespace attune
