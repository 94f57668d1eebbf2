/**
 * One line per RTMP message for --verbose: direction, type, chunk stream,
 * timestamp, message stream, size and, for commands and control, what it says.
 */
import { describeAmf } from '../amf/expect.js';
import { decodeCommandValues } from '../rtmp/commands.js';
import { parseControl } from '../rtmp/control.js';
import { MessageType, messageTypeName, type RtmpMessage } from '../rtmp/message.js';

export function formatTrace(direction: 'in' | 'out', msg: RtmpMessage): string {
  const head = `${direction === 'in' ? '<-' : '->'} ${messageTypeName(msg.typeId)} csid=${msg.csid} ts=${msg.timestamp} stream=${msg.streamId} len=${msg.payload.length}`;
  return `${head}${detail(msg)}`;
}

function detail(msg: RtmpMessage): string {
  try {
    switch (msg.typeId) {
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
      case MessageType.DataAmf0:
      case MessageType.DataAmf3: {
        const values = decodeCommandValues(msg);
        return ` ${values.map((v) => describeAmf(v, 300)).join(' ')}`;
      }
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.UserControl:
      case MessageType.WindowAckSize:
      case MessageType.SetPeerBandwidth: {
        const c = parseControl(msg);
        return c ? ` ${JSON.stringify(c)}` : '';
      }
      default:
        return '';
    }
  } catch {
    return ' (undecodable)';
  }
}
