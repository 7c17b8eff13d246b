// The MediaAsset wire shape (also embedded in posts), public to other modules.
import { Type } from 'typebox';

export const MediaSchema = Type.Object(
  {
    id: Type.Integer(),
    s3_key: Type.String(),
    mime: Type.String(),
    width: Type.Union([Type.Integer(), Type.Null()]),
    height: Type.Union([Type.Integer(), Type.Null()]),
    duration: Type.Union([Type.Number(), Type.Null()]),
    status: Type.String(),
    checksum: Type.String(),
    meta: Type.Object({}, { additionalProperties: true }),
    url: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
  },
  { $id: 'MediaAsset' },
);
