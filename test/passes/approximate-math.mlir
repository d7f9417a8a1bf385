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


// f32 erf: one rational function on x clamped to [-4, 4] (NaN-preserving selects), x·P(x²) of
// 7 coefficients over Q(x²) of 5, no interval selects.
// CHECK-LABEL: func @erf_f32
// CHECK: %[[HI:.+]] = arith.cmpf ult, %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[X1:.+]] = arith.select %[[HI]]
// CHECK: %[[LO:.+]] = arith.cmpf ugt, %[[X1]]
// CHECK: %[[X:.+]] = arith.select %[[LO]], %[[X1]]
// CHECK: %[[X2:.+]] = arith.mulf %[[X]], %[[X]]
// CHECK-COUNT-10: math.fma %[[X2]]
// CHECK-NOT: arith.select
// CHECK: %[[P:.+]] = arith.mulf %[[X]]
// CHECK: arith.divf %[[P]]
// CHECK-NEXT: return
func.func @erf_f32(%v: vector<8xf32>) -> vector<8xf32> {
  %e = math.erf %v : vector<8xf32>
  return %e : vector<8xf32>
}
