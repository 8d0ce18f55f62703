export * as common from './generated/nextx/common/v1/common';
export * as timeseries from './generated/nextx/timeseries/v1/timeseries';
export { PROTO_FILES, protoRoot } from './proto-files';
export * as image from './generated/nextx/image/v1/image';
export * as jobs from './generated/nextx/jobs/v1/jobs';
export * as video from './generated/nextx/video/v1/video';
export * as videoClip from './generated/nextx/video/clip/v1/clip';
export { fileDescriptorsOfServices } from './descriptor-set';
