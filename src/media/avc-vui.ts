/**
 * An H.264 SPS's vui_parameters() (ITU-T H.264 E.1.1): sample aspect ratio,
 * overscan, video signal type and colour description, chroma sample
 * location, timing, and from the bitstream restriction the reorder depth
 * (max_num_reorder_frames). HRD parameters are skipped over.
 */
import type { BitReader } from '../bytes/bit-reader.js';
import { MediaFormatError } from '../errors.js';

/** The VUI fields a report uses. */
export interface SpsVui {
  /** Sample aspect ratio; undefined when not signalled, unspecified (0) or reserved. */
  sar?: { width: number; height: number };
  /** video_signal_type: format (5 = unspecified), full range, and the colour description if present. */
  videoSignal?: {
    videoFormat: number;
    fullRange: boolean;
    colourPrimaries?: number;
    transferCharacteristics?: number;
    matrixCoefficients?: number;
  };
  /** timing_info: the frame rate is time_scale / (2 · num_units_in_tick) (E.2.1). */
  timing?: { numUnitsInTick: number; timeScale: number; fixedFrameRate: boolean; fps: number | undefined };
  /**
   * max_num_reorder_frames from the bitstream restriction (E.2.1): how many
   * frames may precede a frame in decode order and follow it in output
   * order. Encoders such as x264 delay decode times by exactly this much.
   */
  maxNumReorderFrames?: number;
}

/** Table E-1: aspect_ratio_idc 1..16. */
const SAR_TABLE: ReadonlyArray<readonly [number, number]> = [
  [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];
const EXTENDED_SAR = 255;

/** Reads vui_parameters(). */
export function readSpsVui(r: BitReader): SpsVui {
  const vui: SpsVui = {};
  if (r.flag('aspect_ratio_info_present_flag')) {
    const idc = r.u(8, 'aspect_ratio_idc');
    if (idc === EXTENDED_SAR) {
      const width = r.u(16, 'sar_width');
      const height = r.u(16, 'sar_height');
      if (width > 0 && height > 0) vui.sar = { width, height };
    } else {
      const entry = SAR_TABLE[idc - 1];
      if (entry) vui.sar = { width: entry[0], height: entry[1] };
    }
  }
  if (r.flag('overscan_info_present_flag')) r.skip(1, 'overscan_appropriate_flag');
  if (r.flag('video_signal_type_present_flag')) {
    const videoFormat = r.u(3, 'video_format');
    const fullRange = r.flag('video_full_range_flag');
    vui.videoSignal = { videoFormat, fullRange };
    if (r.flag('colour_description_present_flag')) {
      vui.videoSignal.colourPrimaries = r.u(8, 'colour_primaries');
      vui.videoSignal.transferCharacteristics = r.u(8, 'transfer_characteristics');
      vui.videoSignal.matrixCoefficients = r.u(8, 'matrix_coefficients');
    }
  }
  if (r.flag('chroma_loc_info_present_flag')) {
    r.ue('chroma_sample_loc_type_top_field');
    r.ue('chroma_sample_loc_type_bottom_field');
  }
  if (r.flag('timing_info_present_flag')) {
    const numUnitsInTick = r.u(32, 'num_units_in_tick');
    const timeScale = r.u(32, 'time_scale');
    const fixedFrameRate = r.flag('fixed_frame_rate_flag');
    // Both must be greater than 0 (E.2.1); a zero leaves the rate unknown rather than infinite.
    const fps = numUnitsInTick > 0 && timeScale > 0 ? timeScale / (2 * numUnitsInTick) : undefined;
    vui.timing = { numUnitsInTick, timeScale, fixedFrameRate, fps };
  }
  const nalHrd = r.flag('nal_hrd_parameters_present_flag');
  if (nalHrd) skipHrdParameters(r);
  const vclHrd = r.flag('vcl_hrd_parameters_present_flag');
  if (vclHrd) skipHrdParameters(r);
  if (nalHrd || vclHrd) r.skip(1, 'low_delay_hrd_flag');
  r.skip(1, 'pic_struct_present_flag');
  if (r.flag('bitstream_restriction_flag')) {
    r.skip(1, 'motion_vectors_over_pic_boundaries_flag');
    r.ue('max_bytes_per_pic_denom');
    r.ue('max_bits_per_mb_denom');
    r.ue('log2_max_mv_length_horizontal');
    r.ue('log2_max_mv_length_vertical');
    vui.maxNumReorderFrames = r.ue('max_num_reorder_frames');
  }
  return vui;
}

/** Skips hrd_parameters() (E.1.2). */
function skipHrdParameters(r: BitReader): void {
  const cpbCount = r.ue('cpb_cnt_minus1') + 1;
  if (cpbCount > 32) throw new MediaFormatError('sequence parameter set', `cpb_cnt_minus1 ${cpbCount - 1} is out of range (0..31)`);
  r.skip(8, 'bit_rate_scale, cpb_size_scale');
  for (let i = 0; i < cpbCount; i++) {
    r.ue('bit_rate_value_minus1');
    r.ue('cpb_size_value_minus1');
    r.skip(1, 'cbr_flag');
  }
  r.skip(20, 'initial_cpb_removal_delay_length_minus1, cpb_removal_delay_length_minus1, dpb_output_delay_length_minus1, time_offset_length');
}
