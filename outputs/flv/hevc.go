package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// HEVC NAL unit types this package cares about (ITU-T H.265 table 7-1).
const (
	hevcVPS       = 32
	hevcSPS       = 33
	hevcPPS       = 34
	hevcAUD       = 35
	hevcSEIPrefix = 39
	hevcSEISuffix = 40
)

func hevcType(nal []byte) byte { return nal[0] >> 1 & 0x3f }

// HEVCDecoderConfig builds an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15
// hvcC) from Annex B parameter sets, as an Enhanced RTMP SequenceStart carries
// for the FourCC 'hvc1': profile, tier, level and the constraint flags from
// the VPS and SPS, chroma format and bit depths from the SPS, the spatial
// segmentation from its VUI, then arrays of VPS, SPS, PPS (complete, as 'hvc1'
// requires) and any SEI that came with them.
func HEVCDecoderConfig(annexB []byte) ([]byte, error) {
	c := hvcc{compat: 0xffffffff, constraint: 0xffffffffffff, minSpatialSeg: 4096}
	order := []byte{hevcVPS, hevcSPS, hevcPPS, hevcSEIPrefix, hevcSEISuffix}
	arrays := map[byte][][]byte{}
	var err error
	NALUnits(annexB, func(n []byte) {
		if err != nil || len(n) < 3 {
			return
		}
		typ := hevcType(n)
		switch typ {
		case hevcVPS, hevcSPS, hevcPPS, hevcSEIPrefix, hevcSEISuffix:
		default:
			return
		}
		arrays[typ] = append(arrays[typ], n)
		r := newRBSP(n[2:])
		switch typ {
		case hevcVPS:
			err = c.parseVPS(r)
		case hevcSPS:
			err = c.parseSPS(r)
		case hevcPPS:
			err = c.parsePPS(r)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("flv: HEVC parameter sets: %w", err)
	}
	if len(arrays[hevcVPS]) == 0 || len(arrays[hevcSPS]) == 0 || len(arrays[hevcPPS]) == 0 {
		return nil, errors.New("flv: HEVC extradata lacks a VPS, SPS or PPS")
	}
	if c.minSpatialSeg > 4095 {
		c.minSpatialSeg = 0
	}
	if c.minSpatialSeg == 0 {
		c.parallelism = 0 // unknown without a segmentation bound
	}
	b := []byte{1, c.profileSpace<<6 | c.tier<<5 | c.profile}
	b = binary.BigEndian.AppendUint32(b, c.compat)
	b = append(b, byte(c.constraint>>40), byte(c.constraint>>32), byte(c.constraint>>24),
		byte(c.constraint>>16), byte(c.constraint>>8), byte(c.constraint))
	b = append(b, c.level)
	b = binary.BigEndian.AppendUint16(b, 0xf000|c.minSpatialSeg)
	b = append(b, 0xfc|c.parallelism, 0xfc|c.chroma, 0xf8|c.depthLuma, 0xf8|c.depthChroma)
	b = append(b, 0, 0) // avgFrameRate: unspecified
	// constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3.
	b = append(b, c.temporalLayers<<3|c.temporalNested<<2|3)
	order = slices.DeleteFunc(order, func(typ byte) bool { return len(arrays[typ]) == 0 })
	for _, typ := range order {
		// hvcC gives each array a 16-bit count, each NAL unit a 16-bit length.
		if len(arrays[typ]) > 0xffff {
			return nil, fmt.Errorf("flv: HEVC extradata with %d NAL units of type %d (hvcC holds at most 65535)", len(arrays[typ]), typ)
		}
		for _, n := range arrays[typ] {
			if len(n) > 0xffff {
				return nil, fmt.Errorf("flv: an HEVC parameter set of %d bytes (hvcC holds at most 65535)", len(n))
			}
		}
	}
	b = append(b, byte(len(order)))
	for _, typ := range order {
		complete := byte(0)
		if typ == hevcVPS || typ == hevcSPS || typ == hevcPPS {
			complete = 0x80
		}
		b = append(b, complete|typ)
		b = binary.BigEndian.AppendUint16(b, uint16(len(arrays[typ])))
		for _, n := range arrays[typ] {
			b = binary.BigEndian.AppendUint16(b, uint16(len(n)))
			b = append(b, n...)
		}
	}
	return b, nil
}

// hvcc holds the fields of an hvcC record gathered from parameter sets.
type hvcc struct {
	profileSpace, tier, profile, level byte
	compat                             uint32
	constraint                         uint64
	minSpatialSeg                      uint16
	parallelism                        byte
	chroma, depthLuma, depthChroma     byte
	temporalLayers, temporalNested     byte
}

// profileTierLevel merges one profile_tier_level() into the record: the
// highest profile, tier and level, the flags every parameter set shares.
func (c *hvcc) profileTierLevel(r *rbsp, maxSubLayersMinus1 int) {
	space, tier, profile := byte(r.u(2)), byte(r.u(1)), byte(r.u(5))
	compat := uint32(r.u(32))
	constraint := r.u(48)
	level := byte(r.u(8))
	c.profileSpace = space
	c.tier = max(c.tier, tier)
	c.profile = max(c.profile, profile)
	c.compat &= compat
	c.constraint &= constraint
	c.level = max(c.level, level)

	var profilePresent, levelPresent [8]bool
	for i := range maxSubLayersMinus1 {
		profilePresent[i] = r.flag()
		levelPresent[i] = r.flag()
	}
	if maxSubLayersMinus1 > 0 {
		r.skip(2 * (8 - maxSubLayersMinus1))
	}
	for i := range maxSubLayersMinus1 {
		if profilePresent[i] {
			r.skip(88)
		}
		if levelPresent[i] {
			r.skip(8)
		}
	}
}

func (c *hvcc) parseVPS(r *rbsp) error {
	r.skip(12) // vps_video_parameter_set_id, base layer flags, max_layers_minus1
	sub := int(r.u(3))
	c.temporalLayers = max(c.temporalLayers, byte(sub+1))
	r.skip(17) // vps_temporal_id_nesting_flag, reserved 0xffff
	c.profileTierLevel(r, sub)
	return r.err()
}

func (c *hvcc) parseSPS(r *rbsp) error {
	r.skip(4) // sps_video_parameter_set_id
	sub := int(r.u(3))
	c.temporalLayers = max(c.temporalLayers, byte(sub+1))
	c.temporalNested = byte(r.u(1))
	c.profileTierLevel(r, sub)
	r.ue() // sps_seq_parameter_set_id
	c.chroma = byte(r.ue())
	if c.chroma == 3 {
		r.skip(1) // separate_colour_plane_flag
	}
	r.ue()        // pic_width_in_luma_samples
	r.ue()        // pic_height_in_luma_samples
	if r.flag() { // conformance_window_flag
		r.ue()
		r.ue()
		r.ue()
		r.ue()
	}
	c.depthLuma = byte(r.ue())
	c.depthChroma = byte(r.ue())
	pocBits := r.ue() + 4
	first := sub
	if r.flag() { // sps_sub_layer_ordering_info_present_flag
		first = 0
	}
	for i := first; i <= sub; i++ {
		r.ue()
		r.ue()
		r.ue()
	}
	for range 6 { // coding and transform block sizes, hierarchy depths
		r.ue()
	}
	if r.flag() && r.flag() { // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
		skipScalingListData(r)
	}
	r.skip(2)     // amp_enabled_flag, sample_adaptive_offset_enabled_flag
	if r.flag() { // pcm_enabled_flag
		r.skip(8)
		r.ue()
		r.ue()
		r.skip(1)
	}
	if err := skipShortTermRefPicSets(r); err != nil {
		return err
	}
	if r.flag() { // long_term_ref_pics_present_flag
		n := r.ue()
		if n > 32 {
			return fmt.Errorf("SPS with %d long-term reference pictures", n)
		}
		for range n {
			r.skip(int(pocBits) + 1)
		}
	}
	r.skip(2)     // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
	if r.flag() { // vui_parameters_present_flag
		c.parseVUI(r, sub)
	}
	return r.err()
}

func skipScalingListData(r *rbsp) {
	for size := range 4 {
		step := 1
		if size == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			if !r.flag() { // scaling_list_pred_mode_flag
				r.ue() // scaling_list_pred_matrix_id_delta
				continue
			}
			coefs := min(64, 1<<(4+(size<<1)))
			if size > 1 {
				r.ue() // scaling_list_dc_coef_minus8 (se, same length as ue)
			}
			for range coefs {
				r.ue() // scaling_list_delta_coef (se)
			}
		}
	}
}

func skipShortTermRefPicSets(r *rbsp) error {
	n := int(r.ue())
	if n > 64 {
		return fmt.Errorf("SPS with %d short-term reference picture sets", n)
	}
	var deltaPocs [64]int
	for i := range n {
		if i > 0 && r.flag() { // inter_ref_pic_set_prediction_flag
			r.skip(1) // delta_rps_sign
			r.ue()    // abs_delta_rps_minus1
			count := 0
			for range deltaPocs[i-1] + 1 {
				used := r.flag()
				if !used {
					used = r.flag() // use_delta_flag
				}
				if used {
					count++
				}
			}
			deltaPocs[i] = count
			continue
		}
		neg, pos := r.ue(), r.ue()
		if neg > 16 || pos > 16 {
			return errors.New("SPS with an oversized reference picture set")
		}
		for range neg + pos {
			r.ue()    // delta_poc_sX_minus1
			r.skip(1) // used_by_curr_pic_sX_flag
		}
		deltaPocs[i] = int(neg + pos)
	}
	return nil
}

func (c *hvcc) parseVUI(r *rbsp, sub int) {
	if r.flag() { // aspect_ratio_info_present_flag
		if r.u(8) == 255 {
			r.skip(32)
		}
	}
	if r.flag() { // overscan_info_present_flag
		r.skip(1)
	}
	if r.flag() { // video_signal_type_present_flag
		r.skip(4)
		if r.flag() { // colour_description_present_flag
			r.skip(24)
		}
	}
	if r.flag() { // chroma_loc_info_present_flag
		r.ue()
		r.ue()
	}
	r.skip(3)     // neutral_chroma_indication, field_seq, frame_field_info_present
	if r.flag() { // default_display_window_flag
		r.ue()
		r.ue()
		r.ue()
		r.ue()
	}
	if r.flag() { // vui_timing_info_present_flag
		r.skip(64)
		if r.flag() { // vui_poc_proportional_to_timing_flag
			r.ue()
		}
		if r.flag() { // vui_hrd_parameters_present_flag
			skipHRD(r, true, sub)
		}
	}
	if r.flag() { // bitstream_restriction_flag
		r.skip(3)
		c.minSpatialSeg = min(c.minSpatialSeg, uint16(min(r.ue(), 4096)))
	}
}

func skipHRD(r *rbsp, common bool, sub int) {
	var nal, vcl, subPic bool
	if common {
		nal, vcl = r.flag(), r.flag()
		if nal || vcl {
			subPic = r.flag()
			if subPic {
				r.skip(19) // tick_divisor, du_cpb_removal_delay_increment, flag, dpb_output_delay_du
			}
			r.skip(8) // bit_rate_scale, cpb_size_scale
			if subPic {
				r.skip(4)
			}
			r.skip(15) // three length fields
		}
	}
	for range sub + 1 {
		lowDelay := false
		fixed := r.flag() // fixed_pic_rate_general_flag
		if !fixed {
			fixed = r.flag() // fixed_pic_rate_within_cvs_flag
		}
		if fixed {
			r.ue() // elemental_duration_in_tc_minus1
		} else {
			lowDelay = r.flag()
		}
		cpbCnt := 1
		if !lowDelay {
			cpbCnt = int(min(r.ue(), 31)) + 1
		}
		for _, present := range []bool{nal, vcl} {
			if !present {
				continue
			}
			for range cpbCnt {
				r.ue()
				r.ue()
				if subPic {
					r.ue()
					r.ue()
				}
				r.skip(1) // cbr_flag
			}
		}
	}
}

func (c *hvcc) parsePPS(r *rbsp) error {
	r.ue()        // pps_pic_parameter_set_id
	r.ue()        // pps_seq_parameter_set_id
	r.skip(7)     // dependent_slice_segments, output_flag_present, num_extra_slice_header_bits(3), sign_data_hiding, cabac_init_present
	r.ue()        // num_ref_idx_l0_default_active_minus1
	r.ue()        // num_ref_idx_l1_default_active_minus1
	r.ue()        // init_qp_minus26 (se)
	r.skip(2)     // constrained_intra_pred, transform_skip_enabled
	if r.flag() { // cu_qp_delta_enabled_flag
		r.ue()
	}
	r.ue()    // pps_cb_qp_offset (se)
	r.ue()    // pps_cr_qp_offset (se)
	r.skip(4) // slice chroma qp offsets, weighted pred, weighted bipred, transquant bypass
	tiles, wavefront := r.flag(), r.flag()
	switch {
	case tiles && wavefront:
		c.parallelism = 0 // mixed
	case wavefront:
		c.parallelism = 3
	case tiles:
		c.parallelism = 2
	default:
		c.parallelism = 1 // slices
	}
	return r.err()
}

// rbsp reads bits from a NAL unit's payload, skipping emulation prevention
// bytes (00 00 03). Reading past the end sets an error and yields zeros.
type rbsp struct {
	b   []byte
	pos int // bit position in b
	bad bool
}

func newRBSP(payload []byte) *rbsp {
	clean := make([]byte, 0, len(payload))
	zeros := 0
	for _, x := range payload {
		if zeros >= 2 && x == 3 {
			zeros = 0
			continue
		}
		if x == 0 {
			zeros++
		} else {
			zeros = 0
		}
		clean = append(clean, x)
	}
	return &rbsp{b: clean}
}

func (r *rbsp) bit() uint64 {
	if r.pos >= len(r.b)*8 {
		r.bad = true
		return 0
	}
	v := r.b[r.pos/8] >> (7 - r.pos%8) & 1
	r.pos++
	return uint64(v)
}

func (r *rbsp) u(n int) uint64 {
	var v uint64
	for range n {
		v = v<<1 | r.bit()
	}
	return v
}

func (r *rbsp) flag() bool { return r.bit() == 1 }

func (r *rbsp) skip(n int) { r.pos += n; r.bad = r.bad || r.pos > len(r.b)*8 }

// ue reads an unsigned Exp-Golomb code (se codes have the same length).
func (r *rbsp) ue() uint64 {
	zeros := 0
	for r.bit() == 0 {
		if r.bad || zeros > 31 {
			r.bad = true
			return 0
		}
		zeros++
	}
	return 1<<zeros - 1 + r.u(zeros)
}

func (r *rbsp) err() error {
	if r.bad {
		return errors.New("truncated or malformed")
	}
	return nil
}
