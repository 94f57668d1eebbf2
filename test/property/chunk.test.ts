import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('chunk stream properties', () => runProperties(propertiesNamed('chunk.')));
