// Tests attune-lower-bf16-dot: each attune.bf16_dot becomes the call of AVX512_BF16's
// vdpbf16ps intrinsic of its width (16 sums: 512 bits; 8: 256), operands in order; other ops
// are left as they are.
// RUN: attune-opt %s -attune-lower-bf16-dot | FileCheck %s

// CHECK-LABEL: func @dots
// CHECK-SAME: (%[[ACC:.+]]: vector<16xf32>, %[[A:.+]]: vector<32xbf16>, %[[W:.+]]: vector<32xbf16>, %[[ACC8:.+]]: vector<8xf32>, %[[A8:.+]]: vector<16xbf16>, %[[W8:.+]]: vector<16xbf16>)
// CHECK-NEXT: %[[S:.+]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[ACC]], %[[A]], %[[W]]) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
// CHECK-NEXT: %[[T:.+]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[S]], %[[A]], %[[W]])
// CHECK-NEXT: %[[U:.+]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.256"(%[[ACC8]], %[[A8]], %[[W8]]) : (vector<8xf32>, vector<16xbf16>, vector<16xbf16>) -> vector<8xf32>
// CHECK-NEXT: %[[SUM:.+]] = arith.addf %[[T]], %[[T]] : vector<16xf32>
// CHECK-NEXT: return %[[SUM]], %[[U]]
// CHECK-NOT: attune.bf16_dot
func.func @dots(%acc: vector<16xf32>, %a: vector<32xbf16>, %w: vector<32xbf16>,
                %acc8: vector<8xf32>, %a8: vector<16xbf16>, %w8: vector<16xbf16>)
    -> (vector<16xf32>, vector<8xf32>) {
  %s = attune.bf16_dot %acc, %a, %w : vector<16xf32>, vector<32xbf16>
  %t = attune.bf16_dot %s, %a, %w : vector<16xf32>, vector<32xbf16>
  %u = attune.bf16_dot %acc8, %a8, %w8 : vector<8xf32>, vector<16xbf16>
  %sum = arith.addf %t, %t : vector<16xf32>
  return %sum, %u : vector<16xf32>, vector<8xf32>
}
