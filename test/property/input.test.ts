import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('RTMP URL properties', () => runProperties(propertiesNamed('url.')));
describe('flv check properties', () => runProperties(propertiesNamed('flv-check.')));
