/** Codec configuration vectors from real encoders (ffmpeg 5.1 with libx265, libaom, SVT-AV1, libvpx), shared by unit and property tests. */
import { hex } from './hex.js';

/** libx265 hvcC records trimmed to their VPS, SPS and PPS arrays (Main 200x110; Rext 4:2:2 10-bit 176x100). */
export const HEVC_RECORDS = [
  hex('0101600000009000000000001ef000fcfdf8f800000f03200001001840010c01ffff01600000030090000003000003001e959809210001002942010101600000030090000003000003001ea0192071f596566924caf016808000000300800000050422000100074401c172b46240'),
  hex('0104080000009d08000000001ef000fcfefafa00000f03200001001740010c01ffff0408000003009d0800000300001e959809210001002a4201010408000003009d0800000300001eb0162069f2b65959a4932bc05a02000003000200000300141022000100074401c172b46240'),
];
/** libaom (200x110 8-bit) and SVT-AV1 (192x108 10-bit) av1C records. */
export const AV1_RECORDS = [hex('81 00 0c 00 0a0a00000003b63ed36be401 // libaom 200x110 8-bit'), hex('81 00 4c 00 0a0a00000003b5feb00be101 // SVT-AV1 10-bit')];
/** vpcC records: libvpx's (profile 0) with the FullBox header, and its profile 3 record without that header, level set to 3.1. */
export const VPC_RECORDS = [hex('01000000 00 0a 82 02 02 02 0000 // FullBox header, profile 0, level 1, 8-bit 4:2:0 colocated'), hex('03 1f a6 02 02 02 0000 // bare record: profile 3, level 3.1, 10-bit 4:4:4')];
/** The first 20 bytes of libvpx key frames, 200x110: profile 0 8-bit 4:2:0, profile 3 10-bit 4:4:4. */
export const VP9_FRAMES = [hex('82498342000c7006d60638241c184a0007007fd9'), hex('b124c1a10000638036b011c120e0c2c0003e007f')];

