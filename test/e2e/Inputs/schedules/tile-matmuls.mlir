// A schedule for the reference matmuls (attune build --reference-matmul --schedule ...):
// every product (marked attune.matmul; loops batch, sequence, columns, then the reduction)
// in tiles of one batch row × 8 positions × 32 columns.
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %matmuls = transform.structured.match attributes{attune.matmul} in %root
        : (!transform.any_op) -> !transform.any_op
    %tiled, %batch, %positions, %columns = transform.structured.tile_using_for %matmuls tile_sizes [1, 8, 32]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
