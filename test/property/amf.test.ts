import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('AMF0 properties', () => runProperties(propertiesNamed('amf0.')));
describe('AMF3 properties', () => runProperties(propertiesNamed('amf3.')));
