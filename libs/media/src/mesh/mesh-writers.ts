import { Document, NodeIO } from '@gltf-transform/core';
import type { TriangleMesh } from './voxel-surface';

/**
 * Binary glTF 2.0 of the mesh (one scene, one node, one primitive with POSITION, NORMAL and
 * indices), written by glTF Transform; the bounds (accessor min/max) glTF requires are filled
 * in by it.
 */
export async function writeGlb(mesh: TriangleMesh, name = 'shape'): Promise<Uint8Array> {
  const document = new Document();
  const buffer = document.createBuffer();
  const position = document
    .createAccessor('POSITION')
    .setType('VEC3')
    .setArray(mesh.positions)
    .setBuffer(buffer);
  const normal = document
    .createAccessor('NORMAL')
    .setType('VEC3')
    .setArray(mesh.normals)
    .setBuffer(buffer);
  // 16-bit indices when they fit: smaller files, and every viewer reads them.
  const indices = document
    .createAccessor('indices')
    .setType('SCALAR')
    .setArray(mesh.positions.length / 3 <= 65_535 ? Uint16Array.from(mesh.indices) : mesh.indices)
    .setBuffer(buffer);
  const material = document
    .createMaterial('voxels')
    .setBaseColorFactor([0.72, 0.74, 0.78, 1])
    .setRoughnessFactor(0.8)
    .setMetallicFactor(0);
  const primitive = document
    .createPrimitive()
    .setAttribute('POSITION', position)
    .setAttribute('NORMAL', normal)
    .setIndices(indices)
    .setMaterial(material);
  const node = document.createNode(name).setMesh(document.createMesh(name).addPrimitive(primitive));
  const scene = document.createScene(name).addChild(node);
  document.getRoot().setDefaultScene(scene);
  return new NodeIO().writeBinary(document);
}

/** Wavefront OBJ: `v`, `vn` and `f v//vn` lines (1-based). */
export function writeObj(mesh: TriangleMesh): string {
  const lines: string[] = ['# nextx voxel surface'];
  const { positions: p, normals: n, indices } = mesh;
  for (let i = 0; i < p.length; i += 3) lines.push(`v ${p[i]} ${p[i + 1]} ${p[i + 2]}`);
  for (let i = 0; i < n.length; i += 3) lines.push(`vn ${n[i]} ${n[i + 1]} ${n[i + 2]}`);
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [indices[t] + 1, indices[t + 1] + 1, indices[t + 2] + 1];
    lines.push(`f ${a}//${a} ${b}//${b} ${c}//${c}`);
  }
  return lines.join('\n') + '\n';
}

/** Stanford PLY, binary little-endian: float xyz + normal per vertex, uchar-counted uint faces. */
export function writePly(mesh: TriangleMesh): Uint8Array {
  const vertices = mesh.positions.length / 3;
  const faces = mesh.indices.length / 3;
  const header =
    [
      'ply',
      'format binary_little_endian 1.0',
      'comment nextx voxel surface',
      `element vertex ${vertices}`,
      'property float x',
      'property float y',
      'property float z',
      'property float nx',
      'property float ny',
      'property float nz',
      `element face ${faces}`,
      'property list uchar uint vertex_indices',
      'end_header',
    ].join('\n') + '\n';
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(head.length + vertices * 24 + faces * 13);
  out.set(head);
  const view = new DataView(out.buffer);
  let at = head.length;
  for (let v = 0; v < vertices; v++) {
    for (let k = 0; k < 3; k++, at += 4) view.setFloat32(at, mesh.positions[v * 3 + k], true);
    for (let k = 0; k < 3; k++, at += 4) view.setFloat32(at, mesh.normals[v * 3 + k], true);
  }
  for (let f = 0; f < faces; f++) {
    view.setUint8(at++, 3);
    for (let k = 0; k < 3; k++, at += 4) view.setUint32(at, mesh.indices[f * 3 + k], true);
  }
  return out;
}
