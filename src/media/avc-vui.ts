/**
 * The start of an H.264 SPS's vui_parameters() (ITU-T H.264 E.1.1): sample
 * aspect ratio, overscan, video signal type and colour description, chroma
 * sample location and timing. Reading stops after the timing information;
 * HRD parameters and bitstream restrictions that follow are not needed.
 */
import type { BitReader } from '../bytes/bit-reader.js';

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
}

/** Table E-1: aspect_ratio_idc 1..16. */
const SAR_TABLE: ReadonlyArray<readonly [number, number]> = [
  [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];
const EXTENDED_SAR = 255;

/** Reads vui_parameters() up to and including timing_info. */
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
  return vui;
}
