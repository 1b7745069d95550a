import type { SugiNode } from 'd3-dag';

/**
 * A d3-dag decross operator for big graphs: sweeps down and up the layers, ordering each layer by
 * the mean position of its nodes' neighbours in the layer just swept (the barycenter heuristic).
 * Each sweep is a sort per layer, O((V + E) log V). d3-dag's `decrossTwoLayer` does the same
 * sweeps but counts crossings after each to keep the best order, which is quadratic in a layer's
 * width (seconds for a 1,000-wide layer); this keeps the last order instead.
 */
export function decrossBarycenter(sweeps = 4): (layers: SugiNode<number, number>[][]) => void {
  return (layers) => {
    const position = new Map<SugiNode<number, number>, number>();
    const key = new Map<SugiNode<number, number>, number>();
    const number = (layer: readonly SugiNode<number, number>[]): void => {
      layer.forEach((node, k) => position.set(node, k));
    };
    layers.forEach(number);
    const reorder = (layer: SugiNode<number, number>[], down: boolean): void => {
      for (const node of layer) {
        let sum = 0;
        let count = 0;
        for (const other of down ? node.parents() : node.children()) {
          sum += position.get(other)!;
          count++;
        }
        // A node with no neighbour on that side keeps its place.
        key.set(node, count > 0 ? sum / count : position.get(node)!);
      }
      layer.sort((a, b) => key.get(a)! - key.get(b)!);
      number(layer);
    };
    for (let sweep = 0; sweep < sweeps; sweep++) {
      const down = sweep % 2 === 0;
      if (down) for (let l = 1; l < layers.length; l++) reorder(layers[l]!, true);
      else for (let l = layers.length - 2; l >= 0; l--) reorder(layers[l]!, false);
    }
  };
}
