/**
 * Regression tests for bugs the properties found (issue #6). Each names the
 * property that found it and pins the smallest input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAmf0, encodeAmf0, measureAmf0 } from '../../src/amf/amf0.js';
import { buildMetadataForFile, ON_METADATA, parseScriptData } from '../../src/flv/script-data.js';
import { amfToJson } from '../../src/pipeline/probe-report.js';
import { asObject } from '../../src/amf/expect.js';
import { hex } from '../helpers/hex.js';
import { referenceBomb } from './amf-properties.js';

/** onMetaData { a: 1, b: <AMF3 ByteArray 'ab'> } via the AVM+ switch. */
const META_WITH_BYTEARRAY = hex(
  '02 000a 6f6e4d65746144617461 // string onMetaData',
  '08 00000002                  // ECMA array, count 2',
  '0001 61 00 3ff0000000000000  //   a: number 1',
  '0001 62 11 0c 05 6162        //   b: AVM+ -> AMF3 ByteArray of 2 bytes',
  '0000 09                      // end',
);

/** onMetaData { self: <reference #0, the array itself>, n: 1 }. */
const META_CYCLIC = hex(
  '02 000a 6f6e4d65746144617461 // string onMetaData',
  '08 00000002                  // ECMA array (reference #0)',
  '0004 73656c66 07 0000        //   self: reference #0',
  '0001 6e 00 3ff0000000000000  //   n: number 1',
  '0000 09                      // end',
);

describe('buildMetadataForFile on metadata from the wire (amf0.script-data-to-file-metadata)', () => {
  it('drops an AMF3 ByteArray entry instead of throwing AmfError', () => {
    const meta = asObject(parseScriptData(META_WITH_BYTEARRAY)?.value);
    const built = buildMetadataForFile(meta);
    const back = asObject(parseScriptData(built.payload)?.value);
    assert.deepEqual(Object.keys(back ?? {}), ['duration', 'filesize', 'a']);
  });

  it('drops a cyclic entry instead of throwing AmfError', () => {
    const meta = asObject(parseScriptData(META_CYCLIC)?.value);
    const back = asObject(parseScriptData(buildMetadataForFile(meta).payload)?.value);
    assert.deepEqual(Object.keys(back ?? {}), ['duration', 'filesize', 'n']);
  });

  it('does not expand shared references without bound (391 bytes used to encode to 235 MB)', () => {
    const body = referenceBomb(40, 2);
    assert.ok(body.length < 700);
    const t0 = performance.now();
    const built = buildMetadataForFile(asObject(parseScriptData(body)?.value));
    assert.ok(performance.now() - t0 < 5000);
    assert.ok(built.payload.length <= 0xffffff);
    // What was kept is still readable with the default limits.
    assert.equal(parseScriptData(built.payload)?.name, ON_METADATA);
  });

  it('keeps ordinary metadata unchanged, shared references included', () => {
    const shared = { w: 1 };
    const built = buildMetadataForFile({ width: 640, codec: 'avc1', a: shared, b: [shared, shared] });
    assert.deepEqual(parseScriptData(built.payload)?.value, { duration: 0, filesize: 0, width: 640, codec: 'avc1', a: { w: 1 }, b: [{ w: 1 }, { w: 1 }] });
  });
});

describe('measureAmf0', () => {
  it('agrees with encodeAmf0 on the byte count and refuses what encodeAmf0 refuses', () => {
    const v = { s: 'x', n: [1, null, undefined, new Date(0)], t: true };
    assert.equal(measureAmf0(v, { bytes: 1e6, containers: 10 })?.bytes, encodeAmf0(v).length);
    assert.equal(measureAmf0(v, { bytes: 1e6, containers: 10 })?.containers, 2);
    assert.equal(measureAmf0(new Uint8Array(1), { bytes: 1e6, containers: 10 }), undefined);
    assert.equal(measureAmf0({ '': 1 }, { bytes: 1e6, containers: 10 }), undefined);
    assert.equal(measureAmf0(v, { bytes: 10, containers: 10 }), undefined);
    assert.equal(measureAmf0(v, { bytes: 1e6, containers: 1 }), undefined);
  });
});

describe('amfToJson on decoded peer data (amf0.probe-json)', () => {
  it('renders a cycle as null instead of overflowing the stack', () => {
    const [, meta] = decodeAmf0(META_CYCLIC);
    assert.deepEqual(amfToJson(meta), { self: null, n: 1 });
  });

  it('bounds the expansion of shared references', () => {
    const sd = parseScriptData(referenceBomb(40, 2));
    const t0 = performance.now();
    const json = JSON.stringify(amfToJson(sd?.value));
    assert.ok(performance.now() - t0 < 5000);
    assert.ok(json.length < 64 * 1024 * 1024);
  });
});
