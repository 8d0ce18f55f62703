// gltf-validator (Khronos) ships no type declarations; this is the part of its API the specs use.
declare module 'gltf-validator' {
  export interface ValidationReport {
    issues: {
      numErrors: number;
      numWarnings: number;
      messages: { code: string; message: string }[];
    };
    info: { totalTriangleCount?: number; totalVertexCount?: number };
  }
  export function validateBytes(
    data: Uint8Array,
    options?: Record<string, unknown>,
  ): Promise<ValidationReport>;
}
