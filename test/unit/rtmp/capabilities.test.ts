import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAmf0 } from '../../../src/amf/amf0.js';
import { CAPS_EX_MOD_EX, CAPS_EX_MULTITRACK, CAPS_EX_RECONNECT, forwardingCapabilities, fourCcOfCodecId, publishingCapabilities } from '../../../src/rtmp/capabilities.js';
import { connectObject, encodeCommand } from '../../../src/rtmp/commands.js';

describe('Enhanced RTMP connect capabilities', () => {
  it('maps onMetaData codec ids to FourCCs', () => {
    assert.equal(fourCcOfCodecId('video', 7), 'avc1');
    assert.equal(fourCcOfCodecId('video', 12), 'hvc1');
    assert.equal(fourCcOfCodecId('audio', 10), 'mp4a');
    assert.equal(fourCcOfCodecId('audio', 2), '.mp3');
    // FourCCs as their big-endian UI32 value (the spec's examples) or as text
    assert.equal(fourCcOfCodecId('video', 1635135537), 'av01');
    assert.equal(fourCcOfCodecId('audio', 1332770163), 'Opus');
    assert.equal(fourCcOfCodecId('video', 'vp09'), 'vp09');
    for (const bad of [4, 9, -1, 1.5, 2 ** 32, 'toolong', null, undefined, 0x01020304]) assert.equal(fourCcOfCodecId('video', bad), undefined, String(bad));
  });

  it('puts the capability fields in the connect object, as AMF0 strict array and objects', () => {
    const pub = connectObject({ app: 'live', tcUrl: 'rtmp://h/live', ...publishingCapabilities({ video: 'avc1', audio: 'mp4a' }) });
    assert.deepEqual(pub['fourCcList'], ['avc1', 'mp4a']);
    assert.deepEqual(pub['videoFourCcInfoMap'], { avc1: 2 });
    assert.deepEqual(pub['audioFourCcInfoMap'], { mp4a: 2 });
    assert.equal(pub['capsEx'], CAPS_EX_RECONNECT);
    const play = connectObject({ app: 'live', tcUrl: 'rtmp://h/live', ...forwardingCapabilities() });
    assert.deepEqual(play['fourCcList'], ['*']);
    assert.deepEqual(play['videoFourCcInfoMap'], { '*': 4 });
    assert.equal(play['capsEx'], CAPS_EX_MULTITRACK | CAPS_EX_MOD_EX);
    // On the wire: fourCcList is a strict array (marker 0x0a).
    const bytes = encodeCommand('connect', 1, play);
    const at = bytes.indexOf(Buffer.from('fourCcList'));
    assert.equal(bytes[at + 'fourCcList'.length], 0x0a);
    const [, , obj] = decodeAmf0(bytes);
    assert.deepEqual((obj as Record<string, unknown>)['fourCcList'], ['*']);
  });

  it('a publisher whose codecs are unknown announces only capsEx', () => {
    assert.deepEqual(publishingCapabilities({}), { capsEx: CAPS_EX_RECONNECT });
  });
});
