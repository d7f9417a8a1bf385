// attune-fuse-attention: a matcher over the semantics of attention. From each softmax it walks
// back through the score computation (scales, biases, one mask) to a q·kᵀ matmul and forward to
// the ·v matmul, and replaces the whole subgraph with one attune.attention. Why a candidate is
// not fused is reported (option `report`), so a researcher sees which condition failed.
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEFUSEATTENTIONPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using namespace attune;

namespace {

/// A masked score at or below this gets probability 0 in f32 next to any realistic score.
constexpr double kMaskedBelow = -1e4;

/// The value of a scalar (rank-0 or splat) f32 constant.
std::optional<double> scalarConstant(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat() ||
      !attr.getElementType().isF32())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

bool isScalarConstant(Value value) {
  return scalarConstant(value) && cast<RankedTensorType>(value.getType()).getNumElements() == 1;
}

/// iota(n) reshaped to [n, 1] (`column`) or [1, n] (`!column`); returns the iota.
Value reshapedIota(Value value, bool column) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  if (!reshape || reshape.getType().getRank() != 2 ||
      reshape.getType().getDimSize(column ? 1 : 0) != 1)
    return {};
  auto iota = reshape.getInput().getDefiningOp<IotaOp>();
  return iota ? iota.getResult() : Value();
}

/// Whether `mask` is "key position <= query position" over one iota: the causal mask, built as
/// iota[:, None] >= iota[None, :] (or the same comparison written the other way round).
bool isCausalMask(Value mask) {
  auto compare = mask.getDefiningOp<CompareOp>();
  if (!compare)
    return false;
  StringRef predicate = compare.getPredicate();
  Value rows, cols;
  if (predicate == "ge") {
    rows = reshapedIota(compare.getLhs(), true);
    cols = reshapedIota(compare.getRhs(), false);
  } else if (predicate == "le") {
    rows = reshapedIota(compare.getRhs(), true);
    cols = reshapedIota(compare.getLhs(), false);
  }
  return rows && rows == cols;
}

struct AttentionMatch {
  Value query, key, value;
  bool keyGivenTransposed = false; // `key` is [..., D, Sk]
  double scale = 1.0;
  SmallVector<std::pair<Value, double>> biases; // each added times its factor
  Value mask;
  bool causal = false;
  double maskedValue = 0;
  MatmulOp output;
};

/// Matches the attention around `softmax`; on failure returns the reason.
FailureOr<AttentionMatch> matchAttention(SoftmaxOp softmax, std::string &whyNot) {
  auto fail = [&](const Twine &reason) {
    whyNot = reason.str();
    return failure();
  };
  AttentionMatch match;
  if (softmax.getAxis() != softmax.getType().getRank() - 1)
    return fail("the softmax is not over the last (key) axis");
  if (!softmax->hasOneUse())
    return fail("the probabilities have other uses, so they must stay observable");
  auto pv = dyn_cast<MatmulOp>(*softmax->getUsers().begin());
  if (!pv || pv.getLhs() != softmax.getResult())
    return fail("the probabilities do not feed a matmul with v (is something applied after "
                "the softmax?)");
  match.output = pv;
  match.value = pv.getRhs();

  // Back from the softmax: one optional mask (outermost), then scales and biases.
  Value scores = softmax.getInput();
  double factor = 1.0; // what the scores seen so far have been multiplied by, outward
  bool first = true;
  while (true) {
    Operation *op = scores.getDefiningOp();
    if (!op)
      return fail("the scores are a function argument, not q·kᵀ");
    if (!first && !op->hasOneUse())
      return fail("an intermediate of the scores (" + op->getName().getStringRef() +
                  ") has other uses, so it must stay observable");
    if (first && !op->hasOneUse())
      return fail("the scores have other uses, so they must stay observable");
    first = false;
    if (auto select = dyn_cast<SelectOp>(op)) {
      std::optional<double> masked = scalarConstant(select.getOnFalse());
      if (match.mask || !match.biases.empty() || factor != 1.0)
        return fail("a mask is applied before other score arithmetic");
      if (!masked || *masked > kMaskedBelow)
        return fail("the select does not replace masked scores with a large negative constant");
      match.mask = select.getCond();
      match.causal = isCausalMask(match.mask);
      match.maskedValue = *masked;
      scores = select.getOnTrue();
      continue;
    }
    if (auto mul = dyn_cast<MulOp>(op)) {
      Value other = isScalarConstant(mul.getRhs()) ? mul.getRhs() : mul.getLhs();
      Value inner = other == mul.getRhs() ? mul.getLhs() : mul.getRhs();
      if (!isScalarConstant(other))
        return fail("the scores are multiplied by a tensor, not a scalar scale");
      factor *= *scalarConstant(other);
      scores = inner;
      continue;
    }
    if (auto div = dyn_cast<DivOp>(op)) {
      std::optional<double> divisor = scalarConstant(div.getRhs());
      if (!divisor || !isScalarConstant(div.getRhs()) || *divisor == 0)
        return fail("the scores are divided by something other than a scalar constant");
      factor /= *divisor;
      scores = div.getLhs();
      continue;
    }
    if (auto add = dyn_cast<AddOp>(op)) {
      // The scores side is the one that leads back to a matmul through score arithmetic.
      auto leadsToScores = [](Value v) {
        for (Operation *d = v.getDefiningOp(); d; ) {
          if (isa<MatmulOp>(d))
            return true;
          if (!isa<MulOp, DivOp, AddOp, SelectOp>(d))
            return false;
          d = d->getOperand(isa<SelectOp>(d) ? 1 : 0).getDefiningOp();
        }
        return false;
      };
      bool lhsIsScores = leadsToScores(add.getLhs());
      Value bias = lhsIsScores ? add.getRhs() : add.getLhs();
      match.biases.emplace_back(bias, factor);
      scores = lhsIsScores ? add.getLhs() : add.getRhs();
      continue;
    }
    if (auto qk = dyn_cast<MatmulOp>(op)) {
      match.scale = factor;
      match.query = qk.getLhs();
      Value kt = qk.getRhs();
      // A scale pre-applied to q (or to k) joins the scale.
      if (auto mul = match.query.getDefiningOp<MulOp>(); mul && mul->hasOneUse() &&
                                                          isScalarConstant(mul.getRhs())) {
        match.scale *= *scalarConstant(mul.getRhs());
        match.query = mul.getLhs();
      }
      auto transpose = kt.getDefiningOp<TransposeOp>();
      if (transpose && transpose.swapsLastTwoDims()) {
        match.key = transpose.getInput();
      } else {
        match.key = kt;
        match.keyGivenTransposed = true;
      }
      if (auto mul = match.key.getDefiningOp<MulOp>(); mul && mul->hasOneUse() &&
                                                        isScalarConstant(mul.getRhs())) {
        match.scale *= *scalarConstant(mul.getRhs());
        match.key = mul.getLhs();
      }
      return match;
    }
    return fail("the scores come from " + op->getName().getStringRef() + ", not q·kᵀ");
  }
}

/// Builds the attention op for `match` in place of its output matmul.
void rewrite(const AttentionMatch &match, RewriterBase &rewriter) {
  MatmulOp output = match.output;
  Location loc = output.getLoc();
  rewriter.setInsertionPoint(output);
  Value key = match.key;
  if (match.keyGivenTransposed)
    key = transposeLastTwo(rewriter, loc, key);
  // Bias terms, each times the factor applied after it, summed into one bias.
  Value bias;
  for (auto [term, factor] : match.biases) {
    Value scaled = term;
    auto type = cast<RankedTensorType>(term.getType());
    if (factor != 1.0) {
      auto scalarType = RankedTensorType::get({}, type.getElementType());
      Value constant = rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(scalarType, rewriter.getFloatAttr(type.getElementType(),
                                                                         factor)));
      scaled = rewriter.create<MulOp>(loc, type, term, constant);
    }
    if (!bias) {
      bias = scaled;
      continue;
    }
    SmallVector<int64_t> shape;
    broadcastShapes(cast<RankedTensorType>(bias.getType()).getShape(), type.getShape(), shape);
    bias = rewriter.create<AddOp>(loc, RankedTensorType::get(shape, type.getElementType()), bias,
                                  scaled);
  }
  // A causal mask is implied by `causal`: the kernel derives it from positions instead of
  // reading an Sq×Sk tensor, which then goes away with the iota and compare that built it.
  Value mask = match.causal ? Value() : match.mask;
  auto attention = rewriter.create<AttentionOp>(
      loc, output.getType(), match.query, key, match.value, mask, bias, /*query_offsets=*/Value(),
      rewriter.getF64FloatAttr(match.scale), rewriter.getF64FloatAttr(match.maskedValue),
      match.causal ? rewriter.getUnitAttr() : UnitAttr());
  rewriter.replaceOp(output, attention.getResult());
}

struct FuseAttentionPass : attune::impl::AttuneFuseAttentionPassBase<FuseAttentionPass> {
  using AttuneFuseAttentionPassBase::AttuneFuseAttentionPassBase;

  void runOnOperation() override {
    SmallVector<SoftmaxOp> candidates;
    getOperation().walk([&](SoftmaxOp op) { candidates.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (SoftmaxOp softmax : candidates) {
      std::string whyNot;
      FailureOr<AttentionMatch> match = matchAttention(softmax, whyNot);
      if (succeeded(match) && match->mask && !masks)
        whyNot = "masked attention is not fused (masks=false)";
      else if (succeeded(match) && !match->biases.empty() && !biases)
        whyNot = "attention with additive terms is not fused (biases=false)";
      if (!whyNot.empty()) {
        if (report)
          softmax.emitRemark("attention not fused: ") << whyNot;
        continue;
      }
      if (report)
        softmax.emitRemark(match->causal ? "attention fused (causal)" : "attention fused");
      rewrite(*match, rewriter);
    }
    // The decomposed subgraph is now dead.
    RewritePatternSet noPatterns(&getContext());
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(noPatterns));
  }
};

} // namespace
