import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('session properties', () => runProperties(propertiesNamed('session.')));
