import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('codec configuration properties', () => {
  runProperties(propertiesNamed('avc.'));
  runProperties(propertiesNamed('aac.'));
  runProperties(propertiesNamed('hevc.'));
  runProperties(propertiesNamed('av1.'));
  runProperties(propertiesNamed('vp9.'));
});
describe('Enhanced RTMP properties', () => {
  runProperties(propertiesNamed('enhanced.'));
});
describe('tag header properties', () => {
  runProperties(propertiesNamed('video-tag.'));
  runProperties(propertiesNamed('audio-tag.'));
});
