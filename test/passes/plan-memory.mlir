// Tests attune-plan-memory: each entry gets a workspace argument and a size function, and
// every top-level allocation becomes a view of the workspace at an offset from the plan:
// buffers whose lifetimes overlap get disjoint bytes, others share them, at any shape; a
// buffer an op writes in place of one it reads for the last time takes that one's bytes.
// RUN: attune-opt %s -attune-plan-memory -canonicalize -cse | FileCheck %s
// RUN: attune-opt %s -attune-plan-memory=report=true -verify-diagnostics -o /dev/null

module attributes {attune.bounds = {batch = 4 : i64, seq = 16 : i64}} {
  func.func private @step(memref<?xf32>, memref<?xf32>)
  func.func private @first(memref<?x4xf32>, memref<64xf32>)
  func.func private @second(memref<64xf32>, memref<?x16xf32>)
  func.func private @fill(memref<?x4xf32>)
  // Kernels that write their second argument from their first, element by element.
  func.func private @accumulate(memref<?x4xf32>, memref<?x4xf32> {attune.in_place_of = 0 : i64})
  func.func private @accumulate_part(memref<?x4xf32, strided<[8, 1]>>, memref<?x4xf32> {attune.in_place_of = 0 : i64})
  func.func private @accumulate_reading(memref<?x4xf32>, memref<?x4xf32> {attune.in_place_of = 0 : i64}, memref<?xf32>)

  // Three [seq] buffers in a chain: a and b are live at once, c only with b, so c reuses a's
  // bytes (CSE then makes their two views one). Bytes are rounded to 64.
  // CHECK-LABEL: func.func @reuse
  // CHECK-SAME: %[[X:.+]]: memref<?xf32> {{{.*}}}, %[[WS:.+]]: memref<?xi8> {attune.name = "workspace", attune.role = "workspace"}
  // CHECK-SAME: attune.workspace = {buffers = 3 : i64, dims = ["seq"], in_place = 0 : i64, minimum = 128 : i64, planned = 128 : i64, size_function = @reuse_workspace, unplanned = 0 : i64}
  // CHECK: %[[SEQ:.+]] = memref.dim %[[X]], %c0
  // CHECK: %[[BYTES:.+]] = arith.muli %[[SEQ]], %c4
  // CHECK: %[[ROUNDED:.+]] = arith.andi {{.*}}, %c-64
  // CHECK: %[[B_AT:.+]] = arith.maxui %[[ROUNDED]], %[[ROUNDED]]
  // CHECK: %[[A:.+]] = memref.view %[[WS]][%c0][%[[SEQ]]] : memref<?xi8> to memref<?xf32>
  // CHECK: call @step(%[[X]], %[[A]])
  // CHECK: %[[B:.+]] = memref.view %[[WS]][%[[B_AT]]][%[[SEQ]]]
  // CHECK: call @step(%[[A]], %[[B]])
  // CHECK: call @step(%[[B]], %[[A]])
  // CHECK-NOT: memref.alloc
  func.func @reuse(%x: memref<?xf32> {attune.name = "x", attune.role = "input", attune.dims = ["seq"]}) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %n = memref.dim %x, %c0 : memref<?xf32>
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
    call @step(%x, %a) : (memref<?xf32>, memref<?xf32>) -> ()
    %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
    call @step(%a, %b) : (memref<?xf32>, memref<?xf32>) -> ()
    %c = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
    call @step(%b, %c) : (memref<?xf32>, memref<?xf32>) -> ()
    return
  }
  // The size function: the same arithmetic from the dims it is given.
  // CHECK-LABEL: func.func @reuse_workspace
  // CHECK-SAME: (%[[DIMS:.+]]: memref<?xi64>, %[[OUT:.+]]: memref<1xi64>) attributes {llvm.emit_c_interface}
  // CHECK: %[[GIVEN:.+]] = memref.load %[[DIMS]][%c0]
  // CHECK: arith.index_cast %[[GIVEN]] : i64 to index
  // CHECK: %[[TOTAL:.+]] = arith.index_cast %{{.+}} : index to i64
  // CHECK: memref.store %[[TOTAL]], %[[OUT]][%c0]

  // Placed at the bounds (all 256 bytes there), y goes at 0, x2 above it, and w, which
  // overlaps x2 only, into the gap below x2. At run time w ([batch, 16]) and y ([seq, 4]) can
  // be of any sizes, so x2 sits above both: its offset is the larger of their ends.
  // CHECK-LABEL: func.func @gap
  // CHECK-SAME: %[[X:[^:]+]]: memref<?x?xf32> {{{.*}}}, %[[WS:.+]]: memref<?xi8>
  // CHECK: %[[SEQ:.+]] = memref.dim %[[X]], %c1
  // CHECK: %[[Y_END:.+]] = arith.andi
  // CHECK: %[[BATCH:.+]] = memref.dim %[[X]], %c0
  // CHECK: %[[W_END:.+]] = arith.andi
  // CHECK: %[[X2_AT:.+]] = arith.maxui %[[Y_END]], %[[W_END]]
  // CHECK: memref.view %[[WS]][%c0][%[[SEQ]]] : memref<?xi8> to memref<?x4xf32>
  // CHECK: memref.view %[[WS]][%[[X2_AT]]][] : memref<?xi8> to memref<64xf32>
  // CHECK: memref.view %[[WS]][%c0][%[[BATCH]]] : memref<?xi8> to memref<?x16xf32>
  func.func @gap(%x: memref<?x?xf32> {attune.name = "x", attune.role = "input", attune.dims = ["batch", "seq"]}) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %batch = memref.dim %x, %c0 : memref<?x?xf32>
    %seq = memref.dim %x, %c1 : memref<?x?xf32>
    %y = memref.alloc(%seq) {alignment = 64 : i64} : memref<?x4xf32>
    %x2 = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    call @first(%y, %x2) : (memref<?x4xf32>, memref<64xf32>) -> ()
    %w = memref.alloc(%batch) {alignment = 64 : i64} : memref<?x16xf32>
    call @second(%x2, %w) : (memref<64xf32>, memref<?x16xf32>) -> ()
    return
  }

  // A view of a buffer keeps it live: a is read through its collapse after b is allocated.
  // CHECK-LABEL: func.func @views
  // CHECK: attune.workspace = {buffers = 2 : i64, dims = [], in_place = 0 : i64, minimum = 512 : i64, planned = 512 : i64
  // CHECK: %[[A:.+]] = memref.view %{{.+}}[%c0][] : memref<?xi8> to memref<8x8xf32>
  // CHECK: memref.view %{{.+}}[%c256][] : memref<?xi8> to memref<64xf32>
  func.func @views() attributes {attune.entry} {
    %a = memref.alloc() {alignment = 64 : i64} : memref<8x8xf32>
    %flat = memref.collapse_shape %a [[0, 1]] : memref<8x8xf32> into memref<64xf32>
    %cast = memref.cast %flat : memref<64xf32> to memref<?xf32>
    %b = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    %bcast = memref.cast %b : memref<64xf32> to memref<?xf32>
    call @step(%cast, %bcast) : (memref<?xf32>, memref<?xf32>) -> ()
    return
  }

  // In place: b is written from a, which dies there, and c from b: all three share the
  // bytes of one (views at one offset, which CSE makes one), and the largest set live at
  // once is one buffer.
  // CHECK-LABEL: func.func @in_place_calls
  // CHECK-SAME: attune.workspace = {buffers = 3 : i64, dims = ["seq"], in_place = 2 : i64, minimum = 256 : i64, planned = 256 : i64
  // CHECK: %[[A:.+]] = memref.view %{{.+}}[%c0][%{{.+}}] : memref<?xi8> to memref<?x4xf32>
  // CHECK-NEXT: call @fill(%[[A]])
  // CHECK-NEXT: call @accumulate(%[[A]], %[[A]])
  // CHECK-NEXT: call @accumulate(%[[A]], %[[A]])
  func.func @in_place_calls(%x: memref<?xf32> {attune.name = "x", attune.role = "input", attune.dims = ["seq"]}) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %n = memref.dim %x, %c0 : memref<?xf32>
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @fill(%a) : (memref<?x4xf32>) -> ()
    %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @accumulate(%a, %b) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
    %c = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @accumulate(%b, %c) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
    call @fill(%c) : (memref<?x4xf32>) -> ()
    return
  }

  // Not in place (each case would add one to in_place): a is read again after the call; d
  // was written before it; the call also reads e through another operand; g is written from
  // a part of f, not all of it; i (seq rows) has more bytes than h (batch rows).
  // CHECK-LABEL: func.func @not_in_place_calls
  // CHECK-SAME: attune.workspace = {buffers = 10 : i64, dims = ["seq", "batch"], in_place = 0 : i64
  func.func @not_in_place_calls(%x: memref<?x?xf32> {attune.name = "x", attune.role = "input", attune.dims = ["batch", "seq"]}) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %batch = memref.dim %x, %c0 : memref<?x?xf32>
    %n = memref.dim %x, %c1 : memref<?x?xf32>
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @fill(%a) : (memref<?x4xf32>) -> ()
    %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @accumulate(%a, %b) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
    call @fill(%a) : (memref<?x4xf32>) -> ()
    %c = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @fill(%c) : (memref<?x4xf32>) -> ()
    %d = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @fill(%d) : (memref<?x4xf32>) -> ()
    call @accumulate(%c, %d) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
    %e = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @fill(%e) : (memref<?x4xf32>) -> ()
    %e_flat = memref.collapse_shape %e [[0, 1]] : memref<?x4xf32> into memref<?xf32>
    %e2 = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @accumulate_reading(%e, %e2, %e_flat) : (memref<?x4xf32>, memref<?x4xf32>, memref<?xf32>) -> ()
    %f = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8xf32>
    %f_part = memref.subview %f[0, 0] [%n, 4] [1, 1] : memref<?x8xf32> to memref<?x4xf32, strided<[8, 1]>>
    %g = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @accumulate_part(%f_part, %g) : (memref<?x4xf32, strided<[8, 1]>>, memref<?x4xf32>) -> ()
    %h = memref.alloc(%batch) {alignment = 64 : i64} : memref<?x4xf32>
    call @fill(%h) : (memref<?x4xf32>) -> ()
    %i = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @accumulate(%h, %i) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
    call @fill(%b) : (memref<?x4xf32>) -> ()
    call @fill(%d) : (memref<?x4xf32>) -> ()
    call @fill(%e2) : (memref<?x4xf32>) -> ()
    call @fill(%g) : (memref<?x4xf32>) -> ()
    call @fill(%i) : (memref<?x4xf32>) -> ()
    return
  }

  // An elementwise op writes c from a and b; a is read again later, b dies there: c takes
  // b's bytes.
  // CHECK-LABEL: func.func @in_place_elementwise
  // CHECK-SAME: attune.workspace = {buffers = 3 : i64, dims = ["seq"], in_place = 1 : i64
  // CHECK: %[[A:.+]] = memref.view %[[WS:.+]][%c0][
  // CHECK: %[[B:.+]] = memref.view %[[WS]][%{{.+}}][
  // CHECK-NOT: memref.view
  // CHECK: linalg.generic {{.*}} ins(%[[A]], %[[B]] : {{.*}}) outs(%[[B]] :
  func.func @in_place_elementwise(%x: memref<?xf32> {attune.name = "x", attune.role = "input", attune.dims = ["seq"]}) attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %n = memref.dim %x, %c0 : memref<?xf32>
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    call @fill(%a) : (memref<?x4xf32>) -> ()
    call @fill(%b) : (memref<?x4xf32>) -> ()
    %c = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : memref<?x4xf32>, memref<?x4xf32>) outs(%c : memref<?x4xf32>) {
    ^bb0(%in: f32, %in2: f32, %out: f32):
      %product = arith.mulf %in, %in2 : f32
      linalg.yield %product : f32
    }
    call @fill(%a) : (memref<?x4xf32>) -> ()
    call @fill(%c) : (memref<?x4xf32>) -> ()
    return
  }

  // Not in place: the payload reads the output's old value; the only input of the output's
  // shape is read through another map (transposed); the payload loads from the input; a
  // reduction.
  // CHECK-LABEL: func.func @not_in_place_elementwise
  // CHECK-SAME: attune.workspace = {buffers = 8 : i64, dims = [], in_place = 0 : i64
  func.func @not_in_place_elementwise() attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %a = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    %b = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %sum = arith.addf %in, %out : f32
      linalg.yield %sum : f32
    }
    %c = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    %d = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
        ins(%c : memref<4x4xf32>) outs(%d : memref<4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %e = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    %f = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
        ins(%e : memref<4x4xf32>) outs(%f : memref<4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %first = memref.load %e[%c0, %c0] : memref<4x4xf32>
      %sum = arith.addf %in, %first : f32
      linalg.yield %sum : f32
    }
    %g = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    %h = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%g : memref<4x4xf32>) outs(%h : memref<4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    %b_flat = memref.collapse_shape %b [[0, 1]] : memref<4x4xf32> into memref<16xf32>
    %b_any = memref.cast %b_flat : memref<16xf32> to memref<?xf32>
    %d_flat = memref.collapse_shape %d [[0, 1]] : memref<4x4xf32> into memref<16xf32>
    %d_any = memref.cast %d_flat : memref<16xf32> to memref<?xf32>
    call @step(%b_any, %d_any) : (memref<?xf32>, memref<?xf32>) -> ()
    %f_flat = memref.collapse_shape %f [[0, 1]] : memref<4x4xf32> into memref<16xf32>
    %f_any = memref.cast %f_flat : memref<16xf32> to memref<?xf32>
    %h_flat = memref.collapse_shape %h [[0, 1]] : memref<4x4xf32> into memref<16xf32>
    %h_any = memref.cast %h_flat : memref<16xf32> to memref<?xf32>
    call @step(%f_any, %h_any) : (memref<?xf32>, memref<?xf32>) -> ()
    return
  }

  // Left out, each with a remark under report=true: an allocation inside a loop, one whose
  // size is read from memory, one returned. An entry with nothing to plan still gets its
  // workspace and a size function (of 0 bytes).
  // CHECK-LABEL: func.func @left_out
  // CHECK-SAME: attune.workspace = {buffers = 0 : i64, dims = [], in_place = 0 : i64, minimum = 0 : i64, planned = 0 : i64, size_function = @left_out_workspace, unplanned = 3 : i64}
  // CHECK-COUNT-3: memref.alloc
  func.func @left_out(%sizes: memref<1xindex> {attune.name = "sizes", attune.role = "input"}) -> memref<8xf32> attributes {attune.entry} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.for %i = %c0 to %c4 step %c1 {
      // expected-remark @below {{left out of the memory plan (allocated at run time): it is inside a region}}
      %inner = memref.alloc() : memref<8xf32>
      %cast = memref.cast %inner : memref<8xf32> to memref<?xf32>
      func.call @step(%cast, %cast) : (memref<?xf32>, memref<?xf32>) -> ()
      memref.dealloc %inner : memref<8xf32>
    }
    %n = memref.load %sizes[%c0] : memref<1xindex>
    // expected-remark @below {{its size is not computed from the dims of the entry's arguments}}
    %loaded = memref.alloc(%n) : memref<?xf32>
    call @step(%loaded, %loaded) : (memref<?xf32>, memref<?xf32>) -> ()
    // expected-remark @below {{it escapes through the return}}
    %returned = memref.alloc() : memref<8xf32>
    return %returned : memref<8xf32>
  }
  // CHECK-LABEL: func.func @left_out_workspace
  // CHECK: %[[ZERO:.+]] = arith.constant 0 : i64
  // CHECK: memref.store %[[ZERO]]
}
