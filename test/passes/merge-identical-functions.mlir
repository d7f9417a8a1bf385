// Tests attune-merge-identical-functions: private functions with the same body and type
// become the first of them and every use is redirected; functions that differ in an op, a
// constant or a type, public functions and declarations stay.
// RUN: attune-opt %s --attune-merge-identical-functions | FileCheck %s

// CHECK-LABEL: func.func private @tasks0(
// CHECK: arith.addf
func.func private @tasks0(%b: index, %e: index, %x: memref<4xf32>) {
  %c = arith.constant 1.0 : f32
  %v = memref.load %x[%b] : memref<4xf32>
  %s = arith.addf %v, %c : f32
  memref.store %s, %x[%e] : memref<4xf32>
  return
}
// The same as @tasks0 but for its name: merged into it.
// CHECK-NOT: func.func private @tasks1(
func.func private @tasks1(%b: index, %e: index, %x: memref<4xf32>) {
  %c = arith.constant 1.0 : f32
  %v = memref.load %x[%b] : memref<4xf32>
  %s = arith.addf %v, %c : f32
  memref.store %s, %x[%e] : memref<4xf32>
  return
}
// Another constant: kept.
// CHECK-LABEL: func.func private @tasks2(
// CHECK: arith.constant 2.0
func.func private @tasks2(%b: index, %e: index, %x: memref<4xf32>) {
  %c = arith.constant 2.0 : f32
  %v = memref.load %x[%b] : memref<4xf32>
  %s = arith.addf %v, %c : f32
  memref.store %s, %x[%e] : memref<4xf32>
  return
}
// Another op: kept.
// CHECK-LABEL: func.func private @tasks3(
// CHECK: arith.mulf
func.func private @tasks3(%b: index, %e: index, %x: memref<4xf32>) {
  %c = arith.constant 1.0 : f32
  %v = memref.load %x[%b] : memref<4xf32>
  %s = arith.mulf %v, %c : f32
  memref.store %s, %x[%e] : memref<4xf32>
  return
}
// Another type: kept.
// CHECK-LABEL: func.func private @tasks4(
// CHECK-SAME: memref<8xf32>
func.func private @tasks4(%b: index, %e: index, %x: memref<8xf32>) {
  %c = arith.constant 1.0 : f32
  %v = memref.load %x[%b] : memref<8xf32>
  %s = arith.addf %v, %c : f32
  memref.store %s, %x[%e] : memref<8xf32>
  return
}
// Public, the same as @tasks0: kept (another library or module may call it by name).
// CHECK-LABEL: func.func @exported(
func.func @exported(%b: index, %e: index, %x: memref<4xf32>) {
  %c = arith.constant 1.0 : f32
  %v = memref.load %x[%b] : memref<4xf32>
  %s = arith.addf %v, %c : f32
  memref.store %s, %x[%e] : memref<4xf32>
  return
}
// Two declarations alike: both kept.
// CHECK: func.func private @hook_a()
// CHECK: func.func private @hook_b()
func.func private @hook_a()
func.func private @hook_b()

// CHECK-LABEL: func.func @forward(
// CHECK: call @tasks0(
// CHECK: call @tasks0(
// CHECK: call @tasks2(
// CHECK: call @tasks3(
// CHECK: call @tasks4(
// CHECK: call @hook_a()
// CHECK: call @hook_b()
func.func @forward(%x: memref<4xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  call @tasks0(%c0, %c3, %x) : (index, index, memref<4xf32>) -> ()
  call @tasks1(%c0, %c3, %x) : (index, index, memref<4xf32>) -> ()
  call @tasks2(%c0, %c3, %x) : (index, index, memref<4xf32>) -> ()
  call @tasks3(%c0, %c3, %x) : (index, index, memref<4xf32>) -> ()
  call @tasks4(%c0, %c3, %y) : (index, index, memref<8xf32>) -> ()
  call @hook_a() : () -> ()
  call @hook_b() : () -> ()
  return
}
