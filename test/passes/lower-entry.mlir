// Tests that attune-lower-entry rewrites entry functions into the buffer ABI: inputs, then
// distinct weights in order of first use, then outputs, each named and given a role; an
// integer input that selects rows of tables gets the values it may hold (attune.values).
// RUN: attune-opt %s -split-input-file -attune-lower-entry -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @forward
// CHECK-SAME: (%[[IDS:.+]]: memref<?x?xi32> {attune.dims = ["batch", "seq"], attune.name = "input_ids", attune.role = "input", attune.values = array<i64: 0, 16>},
// CHECK-SAME: %[[WTE:.+]]: memref<16x8xf32> {attune.name = "wte", attune.role = "weight"},
// CHECK-SAME: %[[OUT:.+]]: memref<?x?x8xf32> {attune.dims = ["batch", "seq"], attune.name = "hidden", attune.role = "output"})
// CHECK-SAME: attributes {attune.entry, llvm.emit_c_interface}
// CHECK-DAG: %[[T:.+]] = bufferization.to_tensor %[[IDS]] restrict
// CHECK-DAG: %[[W:.+]] = bufferization.to_tensor %[[WTE]] restrict
// CHECK: %[[X:.+]] = attune.embed %[[W]], %[[T]]
// CHECK: %[[Y:.+]] = attune.embed %[[W]], %[[T]]
// CHECK: %[[S:.+]] = attune.add %[[X]], %[[Y]]
// CHECK: bufferization.materialize_in_destination %[[S]] in restrict writable %[[OUT]]
// CHECK-NEXT: return
// CHECK-NOT: attune.weight
func.func @forward(%ids: tensor<?x?xi32> {attune.name = "input_ids", attune.dims = ["batch", "seq"]})
    -> (tensor<?x?x8xf32> {attune.name = "hidden", attune.dims = ["batch", "seq"]}) attributes {attune.entry} {
  %w = attune.weight "wte" : tensor<16x8xf32>
  %x = attune.embed %w, %ids : tensor<16x8xf32>, tensor<?x?xi32>
  %again = attune.weight "wte" : tensor<16x8xf32>
  %y = attune.embed %again, %ids : tensor<16x8xf32>, tensor<?x?xi32>
  %s = attune.add %x, %y : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  return %s : tensor<?x?x8xf32>
}

// -----

// Ids reshaped before selecting rows of two tables may hold the rows of the smaller; an
// integer input used otherwise (a mask compared to 0) may hold anything.
// CHECK-LABEL: func @values
// CHECK-SAME: (%{{.+}}: memref<?xi32> {attune.dims = ["seq"], attune.name = "ids", attune.role = "input", attune.values = array<i64: 0, 3>},
// CHECK-SAME: %{{.+}}: memref<?xi32> {attune.dims = ["seq"], attune.name = "mask", attune.role = "input"},
func.func @values(%ids: tensor<?xi32> {attune.name = "ids", attune.dims = ["seq"]},
                  %mask: tensor<?xi32> {attune.name = "mask", attune.dims = ["seq"]})
    -> (tensor<?x1x8xf32> {attune.name = "y", attune.dims = ["seq"]}, tensor<?xi1> {attune.name = "keep", attune.dims = ["seq"]}) attributes {attune.entry} {
  %big = attune.weight "big" : tensor<16x8xf32>
  %small = attune.weight "small" : tensor<3x8xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %ids, %c0 : tensor<?xi32>
  %column = attune.reshape %ids(%n) : tensor<?xi32> -> tensor<?x1xi32>
  %x = attune.embed %big, %column : tensor<16x8xf32>, tensor<?x1xi32>
  %y = attune.embed %small, %column : tensor<3x8xf32>, tensor<?x1xi32>
  %s = attune.add %x, %y : tensor<?x1x8xf32>, tensor<?x1x8xf32>
  %zero = arith.constant dense<0> : tensor<1xi32>
  %keep = attune.compare %mask, %zero {predicate = "gt"} : tensor<?xi32>, tensor<1xi32>
  return %s, %keep : tensor<?x1x8xf32>, tensor<?xi1>
}

// -----

// Functions without attune.entry are left alone.
// CHECK-LABEL: func @helper
// CHECK-SAME: (%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{entry result #0 needs an attune.name}}
func.func @unnamed_output(%ids: tensor<?xi32> {attune.name = "ids"}) -> tensor<?xi32>
    attributes {attune.entry} {
  return %ids : tensor<?xi32>
}

// -----

func.func @conflicting_weight(%ids: tensor<?xi32> {attune.name = "ids"})
    -> (tensor<?x8xf32> {attune.name = "y"}) attributes {attune.entry} {
  %a = attune.weight "w" : tensor<16x8xf32>
  // expected-error @+1 {{uses weight 'w' as 'tensor<8x8xf32>' but it was already used as 'tensor<16x8xf32>'}}
  %b = attune.weight "w" : tensor<8x8xf32>
  %x = attune.embed %a, %ids : tensor<16x8xf32>, tensor<?xi32>
  %y = attune.embed %b, %ids : tensor<8x8xf32>, tensor<?xi32>
  return %x : tensor<?x8xf32>
}

// -----

// expected-error @+1 {{entry argument #0 needs an attune.name}}
func.func @unnamed_input(%ids: tensor<?xi32>) attributes {attune.entry} {
  return
}
