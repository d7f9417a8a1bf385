// Tests that attune-approximate-math replaces tanh, erf and exp on scalars and vectors by
// polynomials (no math op left to become a libm call) and keeps sqrt, which has an LLVM
// intrinsic.
// RUN: attune-opt %s -attune-approximate-math | FileCheck %s

// CHECK-LABEL: func @transcendentals
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK: math.sqrt
func.func @transcendentals(%x: f32, %v: vector<16xf32>) -> (f32, f32, vector<16xf32>, f32) {
  %t = math.tanh %x : f32
  %e = math.erf %x : f32
  %x2 = math.exp %v : vector<16xf32>
  %s = math.sqrt %x : f32
  return %t, %e, %x2, %s : f32, f32, vector<16xf32>, f32
}
