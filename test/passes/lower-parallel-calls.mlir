// Tests that attune-lower-parallel-calls turns each call to a task-range function into
// attune_parallel_for(trampoline, context, begin, end): the other arguments stored in a
// context struct allocated at the caller's entry, and a trampoline that loads them back and
// calls the function on a sub-range. Calls to other functions stay; a marked function without
// an (i64, i64) range is an error.
// RUN: attune-opt %s --split-input-file --verify-diagnostics --attune-lower-parallel-calls | FileCheck %s

// CHECK-LABEL: llvm.func @run(
// CHECK-SAME: %[[P:.+]]: !llvm.ptr, %[[N:.+]]: i64, %[[X:.+]]: f32)
// CHECK: %[[CTX:.+]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, f32)> {alignment = 8 : i64}
// CHECK: %[[F0:.+]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK: llvm.store %[[P]], %[[F0]]
// CHECK: %[[F1:.+]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK: llvm.store %[[X]], %[[F1]]
// CHECK: %[[FN:.+]] = llvm.mlir.addressof @body_trampoline
// CHECK: llvm.call @attune_parallel_for(%[[FN]], %[[CTX]], %{{.*}}, %[[N]])
// CHECK-NOT: llvm.call @body(
// CHECK: llvm.call @other(
// CHECK: llvm.func @body(
// CHECK: llvm.func internal @body_trampoline(%[[C:.+]]: !llvm.ptr, %[[B:.+]]: i64, %[[E:.+]]: i64)
// CHECK: %[[G0:.+]] = llvm.getelementptr %[[C]][0, 0]
// CHECK: %[[L0:.+]] = llvm.load %[[G0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[G1:.+]] = llvm.getelementptr %[[C]][0, 1]
// CHECK: %[[L1:.+]] = llvm.load %[[G1]] : !llvm.ptr -> f32
// CHECK: llvm.call @body(%[[B]], %[[E]], %[[L0]], %[[L1]])
// CHECK: llvm.func @attune_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)
llvm.func @run(%p: !llvm.ptr, %n: i64, %x: f32) {
  %zero = llvm.mlir.constant(0 : i64) : i64
  llvm.call @body(%zero, %n, %p, %x) : (i64, i64, !llvm.ptr, f32) -> ()
  llvm.call @other(%zero, %n, %p, %x) : (i64, i64, !llvm.ptr, f32) -> ()
  llvm.return
}
llvm.func @body(%begin: i64, %end: i64, %p: !llvm.ptr, %x: f32) attributes {attune.parallel_tasks} {
  llvm.return
}
llvm.func @other(%begin: i64, %end: i64, %p: !llvm.ptr, %x: f32) {
  llvm.return
}

// -----

llvm.func @run(%p: !llvm.ptr) {
  llvm.call @body(%p) : (!llvm.ptr) -> ()
  llvm.return
}
// expected-error @below {{attune.parallel_tasks needs (i64 begin, i64 end, ...)}}
llvm.func @body(%p: !llvm.ptr) attributes {attune.parallel_tasks} {
  llvm.return
}
