import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../src/errors.js';
import {
  abort,
  acknowledgement,
  LimitType,
  parseControl,
  pingRequest,
  pingResponse,
  setBufferLength,
  setChunkSize,
  setPeerBandwidth,
  streamBegin,
  streamDry,
  streamEof,
  streamIsRecorded,
  userControl,
  windowAckSize,
} from '../../../src/rtmp/control.js';
import { UserControlEvent, type RtmpMessage } from '../../../src/rtmp/message.js';
import { hex } from '../../helpers/split-feed.js';

function control(typeId: number, payload: Buffer): RtmpMessage {
  return { csid: 2, typeId, timestamp: 0, streamId: 0, payload };
}

describe('control message builders', () => {
  const cases: Array<[string, RtmpMessage, number, string]> = [
    ['setChunkSize(4096)', setChunkSize(4096), 1, '00001000'],
    ['abort(4)', abort(4), 2, '00000004'],
    ['acknowledgement(2^32 + 5) wraps', acknowledgement(0x1_0000_0005), 3, '00000005'],
    ['windowAckSize(2500000)', windowAckSize(2_500_000), 5, '002625a0'],
    ['setPeerBandwidth(2500000, dynamic)', setPeerBandwidth(2_500_000, LimitType.Dynamic), 6, '002625a0 02'],
    ['streamBegin(1)', streamBegin(1), 4, '0000 00000001   # event 0, stream 1'],
    ['streamEof(1)', streamEof(1), 4, '0001 00000001'],
    ['streamDry(1)', streamDry(1), 4, '0002 00000001'],
    ['setBufferLength(1, 3000)', setBufferLength(1, 3000), 4, '0003 00000001 00000bb8   # event 3, stream 1, 3000 ms'],
    ['streamIsRecorded(1)', streamIsRecorded(1), 4, '0004 00000001'],
    ['pingRequest(123456)', pingRequest(123456), 4, '0006 0001e240'],
    ['pingResponse(0xfffffffe)', pingResponse(0xfffffffe), 4, '0007 fffffffe'],
  ];
  for (const [name, m, typeId, payload] of cases) {
    it(name, () => {
      assert.deepStrictEqual(m, control(typeId, hex(payload)));
    });
  }

  it('setChunkSize rejects 0 and sizes with the top bit', () => {
    assert.throws(() => setChunkSize(0), RangeError);
    assert.throws(() => setChunkSize(0x80000000), RangeError);
  });
});

describe('parseControl', () => {
  it('parses every builder back', () => {
    assert.deepStrictEqual(parseControl(setChunkSize(4096)), { type: 'setChunkSize', size: 4096 });
    assert.deepStrictEqual(parseControl(abort(6)), { type: 'abort', csid: 6 });
    assert.deepStrictEqual(parseControl(acknowledgement(99)), { type: 'ack', sequence: 99 });
    assert.deepStrictEqual(parseControl(windowAckSize(5000000)), { type: 'windowAckSize', size: 5000000 });
    assert.deepStrictEqual(parseControl(setPeerBandwidth(5000000, LimitType.Soft)), {
      type: 'setPeerBandwidth',
      size: 5000000,
      limitType: 1,
    });
    assert.deepStrictEqual(parseControl(streamBegin(1)), { type: 'userControl', event: UserControlEvent.StreamBegin, streamId: 1 });
    assert.deepStrictEqual(parseControl(streamIsRecorded(2)), { type: 'userControl', event: 4, streamId: 2 });
    assert.deepStrictEqual(parseControl(setBufferLength(1, 500)), {
      type: 'userControl',
      event: UserControlEvent.SetBufferLength,
      streamId: 1,
      bufferLength: 500,
    });
    assert.deepStrictEqual(parseControl(pingRequest(42)), { type: 'userControl', event: UserControlEvent.PingRequest, timestamp: 42 });
    assert.deepStrictEqual(parseControl(pingResponse(43)), { type: 'userControl', event: 7, timestamp: 43 });
  });

  it('reports unknown user control events (FMS BufferEmpty 31) without failing', () => {
    assert.deepStrictEqual(parseControl(userControl(31, 1)), { type: 'userControl', event: 31 });
  });

  it('ignores trailing bytes', () => {
    assert.deepStrictEqual(parseControl(control(5, hex('00001000 ffff'))), { type: 'windowAckSize', size: 4096 });
  });

  it('returns undefined for non-control messages', () => {
    assert.equal(parseControl(control(20, hex('02000763'))), undefined);
    assert.equal(parseControl(control(8, Buffer.alloc(0))), undefined);
    assert.equal(parseControl(control(0, Buffer.alloc(4))), undefined);
  });

  it('short payloads are ProtocolErrors', () => {
    const short: Array<[number, string]> = [
      [1, '000010'], //               Set Chunk Size: 3 of 4 bytes
      [2, ''], //                     Abort: empty
      [3, '0000'], //                 Acknowledgement
      [5, '000000'], //               Window Ack Size
      [6, '00001000'], //             Set Peer Bandwidth without the limit type
      [4, '00'], //                   User Control: half an event type
      [4, '0000 0000'], //            Stream Begin: 2 of 4 stream id bytes
      [4, '0003 00000001 0000'], //   Set Buffer Length: short length
      [4, '0006'], //                 Ping Request without timestamp
    ];
    for (const [typeId, payload] of short) {
      assert.throws(() => parseControl(control(typeId, hex(payload))), ProtocolError, `type ${typeId} ${payload}`);
    }
  });
});
