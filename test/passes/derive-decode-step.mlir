// Tests attune-derive-decode-step: an entry whose causal self-attention reads its tokens gets
// `<entry>_step`, the same graph over the session's KV cache: token positions offset by each
// row's cached length, every cached attention's keys and values appended to a cache argument
// (role state, returned) and read whole with the offsets, its mask or bias rebuilt over the
// step's queries and the cache's keys. Entries it cannot step keep no
// step, and with report=true a remark says why.
// RUN: attune-opt %s --attune-derive-decode-step | FileCheck %s
// RUN: attune-opt %s --attune-derive-decode-step=report=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT

// The cache holds as many tokens as the stepped length's bound.
// CHECK: module attributes {attune.bounds = {batch = 4 : i64, cache = 32 : i64, mem = 16 : i64, seq = 32 : i64}}
module attributes {attune.bounds = {batch = 4 : i64, seq = 32 : i64, mem = 16 : i64}} {

// Learned positions and one causal self-attention (GPT-2's shape).
// CHECK-LABEL: func.func @forward(
// CHECK-NOT: cache_write
// CHECK-LABEL: func.func @forward_step(
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "input_ids"}
// CHECK-SAME: %[[PAST:[^:]+]]: tensor<?xi32> {attune.dims = ["batch"], attune.name = "past_lengths"}
// CHECK-SAME: %[[KC:[^:]+]]: tensor<?x2x?x4xf32> {attune.dims = ["batch", "cache"], attune.name = "cache.0.key", attune.role = "state"}
// CHECK-SAME: %[[VC:[^:]+]]: tensor<?x2x?x4xf32> {attune.dims = ["batch", "cache"], attune.name = "cache.0.value", attune.role = "state"}
// CHECK-SAME: -> (tensor<?x?x8xf32> {attune.name = "out"}, tensor<?x2x?x4xf32> {attune.dims = ["batch", "cache"], attune.name = "cache.0.key", attune.role = "state"}, tensor<?x2x?x4xf32> {attune.dims = ["batch", "cache"], attune.name = "cache.0.value", attune.role = "state"})
// CHECK-SAME: attune.entry = "forward_step", attune.step = {of = "forward", tokens = "input_ids"}
// CHECK: %[[IOTA:.+]] = attune.iota
// CHECK: %[[COLUMN:.+]] = attune.reshape %[[PAST]]({{.*}}) : tensor<?xi32> -> tensor<?x1xi32>
// CHECK: %[[POS:.+]] = attune.add %[[COLUMN]], %[[IOTA]] : tensor<?x1xi32>, tensor<?xi32>
// CHECK: attune.embed %{{.*}}, %[[POS]] : tensor<32x8xf32>, tensor<?x?xi32>
// CHECK: %[[K:.+]] = attune.cache_write %[[KC]], %{{.*}}, %[[PAST]]
// CHECK: %[[V:.+]] = attune.cache_write %[[VC]], %{{.*}}, %[[PAST]]
// CHECK: attune.attention %{{.*}}, %[[K]], %[[V]] offsets %[[PAST]] {causal
// CHECK: return %{{.*}}, %[[K]], %[[V]]
// REPORT: remark: decode step 'forward_step' derived for entry 'forward'
func.func @forward(%ids: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "input_ids"}) -> (tensor<?x?x8xf32> {attune.name = "out"}) attributes {attune.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi32>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi32>
  %wte = attune.weight "wte" : tensor<64x8xf32>
  %wpe = attune.weight "wpe" : tensor<32x8xf32>
  %tok = attune.embed %wte, %ids : tensor<64x8xf32>, tensor<?x?xi32>
  %pos = attune.iota %s : tensor<?xi32>
  %pe = attune.embed %wpe, %pos : tensor<32x8xf32>, tensor<?xi32>
  %x = attune.add %tok, %pe : tensor<?x?x8xf32>, tensor<?x8xf32>
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %a = attune.attention %t, %t, %t {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %m = attune.transpose %a [0, 2, 1, 3] : tensor<?x2x?x4xf32>
  %o = attune.reshape %m(%b, %s) : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// Rotary positions: rope takes each row's positions.
// CHECK-LABEL: func.func @rotary_step(
// CHECK: %[[RPOS:.+]] = attune.add %{{.*}}, %{{.*}} : tensor<?x1xi32>, tensor<?xi32>
// CHECK: attune.rope %{{.*}}, %[[RPOS]] {theta = 1.000000e+04 : f64} : tensor<?x2x?x4xf32>, tensor<?x?xi32>
// CHECK: attune.cache_write
// REPORT: remark: decode step 'rotary_step' derived for entry 'rotary'
func.func @rotary(%ids: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "input_ids"}) -> (tensor<?x2x?x4xf32> {attune.name = "out"}) attributes {attune.entry = "rotary"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi32>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi32>
  %wte = attune.weight "wte" : tensor<64x8xf32>
  %x = attune.embed %wte, %ids : tensor<64x8xf32>, tensor<?x?xi32>
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %pos = attune.iota %s : tensor<?xi32>
  %r = attune.rope %t, %pos {theta = 1.0e4 : f64} : tensor<?x2x?x4xf32>, tensor<?xi32>
  %a = attune.attention %r, %r, %t {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %a : tensor<?x2x?x4xf32>
}

// Cross-attention over another input: its keys and values are the same every step, so the
// step reads them from context states (sized by that input's length, `mem`), which
// `cross_context` writes once per sequence, computing nothing else.
// CHECK-LABEL: func.func @cross_step(
// CHECK-SAME: %[[CK:[^:]+]]: tensor<?x2x?x4xf32> {attune.dims = ["batch", "mem"], attune.name = "context.0.key", attune.role = "state"}, %[[CV:[^:]+]]: tensor<?x2x?x4xf32> {attune.dims = ["batch", "mem"], attune.name = "context.0.value", attune.role = "state"})
// CHECK-SAME: -> (tensor<?x2x?x4xf32> {attune.name = "out"}, tensor<?x2x?x4xf32> {{.*}}"cache.0.key"{{.*}}, tensor<?x2x?x4xf32> {{.*}}"cache.0.value"{{.*}})
// CHECK: %[[SELF:.+]] = attune.attention {{.*}} offsets
// CHECK: attune.attention %[[SELF]], %[[CK]], %[[CV]] {masked_value
// CHECK-LABEL: func.func @cross_context(
// CHECK-SAME: %[[MEM:[^:]+]]: tensor<?x2x?x4xf32> {attune.dims = ["batch", "mem"], attune.name = "memory"}, %[[WK:[^:]+]]: tensor<?x2x?x4xf32> {attune.dims = ["batch", "mem"], attune.name = "context.0.key", attune.role = "state"}
// CHECK-SAME: attune.context_of = "cross", attune.entry = "cross_context"
// CHECK-NOT: attune.attention
// CHECK-NOT: attune.embed
// CHECK: %[[K:.+]] = attune.cache_write %[[WK]], %[[MEM]], %{{.*}}
// CHECK: %[[V:.+]] = attune.cache_write %{{.*}}, %[[MEM]], %{{.*}}
// CHECK: return %[[K]], %[[V]]
// REPORT: remark: decode step 'cross_step' derived for entry 'cross'
func.func @cross(%ids: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "ids"}, %mem: tensor<?x2x?x4xf32> {attune.dims = ["batch", "mem"], attune.name = "memory"}) -> (tensor<?x2x?x4xf32> {attune.name = "out"}) attributes {attune.entry = "cross"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi32>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi32>
  %wte = attune.weight "wte" : tensor<64x8xf32>
  %x = attune.embed %wte, %ids : tensor<64x8xf32>, tensor<?x?xi32>
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %a = attune.attention %t, %t, %t {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c = attune.attention %a, %mem, %mem {masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %c : tensor<?x2x?x4xf32>
}

// No step: bidirectional self-attention (an encoder).
// CHECK-NOT: func.func @encoder_step
// REPORT: remark: no decode step for entry 'encoder': self-attention over the tokens is not causal
func.func @encoder(%ids: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "ids"}) -> (tensor<?x2x?x4xf32> {attune.name = "out"}) attributes {attune.entry = "encoder"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi32>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi32>
  %wte = attune.weight "wte" : tensor<64x8xf32>
  %x = attune.embed %wte, %ids : tensor<64x8xf32>, tensor<?x?xi32>
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %a = attune.attention %t, %t, %t {masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %a : tensor<?x2x?x4xf32>
}

// A relative position bias (T5's: a table read at key - query) is rebuilt for the step: the
// key positions become the cache's (iota of its length), the query positions each row's own,
// so the bias gets a batch dim, [batch, heads, seq, cache].
// CHECK-LABEL: func.func @relative_step(
// CHECK-SAME: %[[PAST:[^:]+]]: tensor<?xi32> {attune.dims = ["batch"], attune.name = "past_lengths"}, %[[KC:[^:]+]]: tensor<?x2x?x4xf32>
// CHECK: %[[K:.+]] = attune.cache_write %[[KC]]
// CHECK: %[[CACHE:.+]] = tensor.dim %[[KC]], %c2
// CHECK: %[[QPOS:.+]] = attune.add %{{.*}}, %{{.*}} : tensor<?x1xi32>, tensor<?xi32>
// CHECK: %[[KPOS:.+]] = attune.iota %[[CACHE]] : tensor<?xi32>
// CHECK: %[[KROW:.+]] = attune.reshape %[[KPOS]]({{.*}}) : tensor<?xi32> -> tensor<1x?xi32>
// CHECK: %[[QCOL:.+]] = attune.reshape %[[QPOS]]({{.*}}) : tensor<?x?xi32> -> tensor<?x?x1xi32>
// CHECK: %[[REL:.+]] = attune.sub %[[KROW]], %[[QCOL]] : tensor<1x?xi32>, tensor<?x?x1xi32>
// CHECK: attune.embed %{{.*}}, %[[REL]] : tensor<64x2xf32>, tensor<?x?x?xi32>
// CHECK: %[[HEADS:.+]] = attune.transpose %{{.*}} [0, 3, 1, 2] : tensor<?x?x?x2xf32>
// CHECK: %[[BIAS:.+]] = attune.reshape %{{.*}} : tensor<?x1x2x?x?xf32> -> tensor<?x2x?x?xf32>
// CHECK: attune.attention %{{.*}}, %[[K]], %{{.*}} bias %[[BIAS]] offsets %[[PAST]] {causal
// CHECK-NOT: attune.sub
// CHECK: return
// REPORT: remark: decode step 'relative_step' derived for entry 'relative'
func.func @relative(%ids: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "ids"}) -> (tensor<?x2x?x4xf32> {attune.name = "out"}) attributes {attune.entry = "relative"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi32>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi32>
  %wte = attune.weight "wte" : tensor<64x8xf32>
  %x = attune.embed %wte, %ids : tensor<64x8xf32>, tensor<?x?xi32>
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %pos = attune.iota %s : tensor<?xi32>
  %row = attune.reshape %pos(%s) : tensor<?xi32> -> tensor<1x?xi32>
  %col = attune.reshape %pos(%s) : tensor<?xi32> -> tensor<?x1xi32>
  %rel = attune.sub %row, %col : tensor<1x?xi32>, tensor<?x1xi32>
  %table = attune.weight "relative" : tensor<64x2xf32>
  %bias3 = attune.embed %table, %rel : tensor<64x2xf32>, tensor<?x?xi32>
  %heads = attune.transpose %bias3 [2, 0, 1] : tensor<?x?x2xf32>
  %bias = attune.reshape %heads(%s, %s) : tensor<2x?x?xf32> -> tensor<1x2x?x?xf32>
  %a = attune.attention %t, %t, %t bias %bias {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<1x2x?x?xf32>) -> tensor<?x2x?x4xf32>
  return %a : tensor<?x2x?x4xf32>
}

// No step: a bias that is an input (its keys would have to come from the cache too).
// CHECK-NOT: func.func @input_bias_step
// REPORT: remark: no decode step for entry 'input_bias': the mask or bias of a cached attention is computed from an input
func.func @input_bias(%ids: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "ids"}, %bias: tensor<1x2x?x?xf32> {attune.dims = ["seq", "seq"], attune.name = "bias"}) -> (tensor<?x2x?x4xf32> {attune.name = "out"}) attributes {attune.entry = "input_bias"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi32>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi32>
  %wte = attune.weight "wte" : tensor<64x8xf32>
  %x = attune.embed %wte, %ids : tensor<64x8xf32>, tensor<?x?xi32>
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %a = attune.attention %t, %t, %t bias %bias {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<1x2x?x?xf32>) -> tensor<?x2x?x4xf32>
  return %a : tensor<?x2x?x4xf32>
}

// No step: two integer [batch, seq] inputs (which one steps is ambiguous).
// CHECK-NOT: func.func @two_inputs_step
// REPORT: remark: no decode step for entry 'two_inputs': it has no single integer [batch, seq] token input
func.func @two_inputs(%a: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "a"}, %b: tensor<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "b"}) -> (tensor<?x?xi32> {attune.name = "out"}) attributes {attune.entry = "two_inputs"} {
  %s = attune.add %a, %b : tensor<?x?xi32>, tensor<?x?xi32>
  return %s : tensor<?x?xi32>
}

}
