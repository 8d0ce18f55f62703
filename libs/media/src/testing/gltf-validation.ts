// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- gltf-validator ships no types; this pulls the local declaration into every project that imports the helper
/// <reference path="./gltf-validator.d.ts" />
import { validateBytes, type ValidationReport } from 'gltf-validator';

/** The Khronos glTF validator's report on a GLB (tests: generated meshes must have no errors). */
export function validateGlb(bytes: Uint8Array): Promise<ValidationReport> {
  return validateBytes(bytes);
}
