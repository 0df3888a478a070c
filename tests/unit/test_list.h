/*
 * test_list.h: every unit test, as X(suite, behaviour). The function is
 * test_vc_<suite>_<behaviour>; ctest runs each suite as its own test.
 * Keep each suite's entries together and in the order they are written.
 */
#ifndef VC_TEST_LIST_H
#define VC_TEST_LIST_H

/* server-stub is native only; its tests join when it is built. */
#ifdef VC_WITH_SERVER_TESTS
#include "test_list_server.h"
#else
#define VC_UNIT_TESTS_SERVER(X)
#endif

#define VC_UNIT_TESTS(X)                                                       \
  X(audio, encode_decode_keeps_the_signal)                                     \
  X(audio, bad_packets_are_rejected_and_nothing_is_kept)                       \
  X(audio, settings_out_of_range_are_rejected)                                 \
  X(audio, clean_link_plays_with_little_delay)                                 \
  X(audio, lost_packets_come_back_from_fec)                                    \
  X(audio, late_and_duplicate_packets_are_counted)                             \
  X(audio, full_buffer_is_flushed_at_its_cap)                                  \
  X(audio, sender_clock_jump_starts_over)                                      \
  X(audio, silence_is_comfort_noise_not_concealment)                           \
  X(audio, backlog_is_played_faster_at_the_same_pitch)                         \
  X(audio, ten_ms_packets_are_stretched_too)                                   \
  X(audio, delay_peaks_raise_the_target_for_a_while)                           \
  X(audio, stalls_are_stretched_then_caught_up)                                \
  X(audio, hiccups_every_two_seconds_are_covered)                              \
  X(audio, slow_sender_is_stretched_not_concealed)                             \
  X(audio, slow_sender_keeps_its_margin_for_jitter)                            \
  X(audio, time_stretch_off_never_stretches)                                   \
  X(audio, pitch_period_is_found)                                              \
  X(audio, level_follows_loudness)                                             \
  X(audio, sender_goes_quiet_once_when_muted)                                  \
  X(audio, mixer_mixes_senders_and_evicts_at_its_cap)                          \
  X(errors, strerror_covers_every_code)                                        \
  X(errors, fatal_threshold)                                                   \
  X(envelope, roundtrip_keeps_every_field)                                     \
  X(envelope, empty_payload_roundtrips)                                        \
  X(envelope, matches_golden_bytes)                                            \
  X(envelope, short_output_is_nobuf)                                           \
  X(envelope, short_payload_buffer_is_nobuf)                                   \
  X(envelope, truncation_is_rejected_or_loses_the_payload)                     \
  X(envelope, oversized_input_is_too_big)                                      \
  X(envelope, oversized_payload_is_rejected_on_encode)                         \
  X(envelope, newer_version_is_unsupported)                                    \
  X(envelope, missing_version_is_malformed)                                    \
  X(envelope, unknown_fields_are_ignored)                                      \
  X(envelope, out_of_range_route_is_malformed)                                 \
  X(envelope, failed_decode_zeroes_outputs)                                    \
  X(envelope, noncanonical_field_zero_is_malformed)                            \
  X(utf8, accepts_every_plane)                                                 \
  X(utf8, rejects_ill_formed_sequences)                                        \
  X(utf8, controls_are_refused_only_when_asked)                                \
  X(control, join_roundtrips)                                                  \
  X(control, full_roster_page_roundtrips)                                      \
  X(control, every_bound_is_enforced)                                          \
  X(control, encoder_refuses_what_decoders_reject)                             \
  X(control, unknown_message_type_is_skippable)                                \
  X(control, garbage_is_malformed)                                             \
  X(control, allocation_is_capped_by_the_arena)                                \
  X(control, oversized_input_is_too_big)                                       \
  X(control, noncanonical_field_zero_is_malformed)                             \
  X(frame, roundtrip_fed_all_at_once)                                          \
  X(frame, roundtrip_fed_one_byte_at_a_time)                                   \
  X(frame, roundtrip_cut_at_random_points)                                     \
  X(frame, whole_frame_is_returned_in_place)                                   \
  X(frame, parse_one_takes_exactly_one_frame)                                  \
  X(frame, max_length_frame_in_pieces_goes_through_the_buffer)                 \
  X(frame, zero_length_is_malformed)                                           \
  X(frame, noncanonical_length_is_malformed)                                   \
  X(frame, length_over_max_is_too_big)                                         \
  X(frame, errors_are_sticky)                                                  \
  X(frame, init_needs_a_max_length_buffer)                                     \
  X(frame, header_is_the_minimal_varint)                                       \
  X(frame, write_header_errors)                                                \
  X(msg_queue, keeps_order_and_both_caps)                                      \
  X(meeting, join_then_welcome)                                                \
  X(meeting, paged_roster_completes_at_the_last_page)                          \
  X(meeting, hostile_frames_change_nothing)                                    \
  X(meeting, pending_chat_cap_is_reached)                                      \
  X(meeting, outbox_cap_is_reached)                                            \
  X(meeting, chat_is_delivered_once)                                           \
  X(meeting, silent_server_means_reconnect_and_resume)                         \
  X(meeting, speaker_switches_only_after_holding)                              \
  X(meeting, removal_ends_the_meeting)                                         \
  X(meeting, subscriptions_are_sent_after_every_join)                          \
  X(meeting, roster_cap_is_reached)                                            \
  X(meeting, e2ee_needs_randomness_and_room_for_the_seal)                      \
  X(meeting, chats_wait_for_their_key_up_to_a_cap)                             \
  X(wasm_glue, sending_keeps_a_frame_half_received)                            \
  X(meeting, media_waits_behind_control_and_drops_oldest)                      \
  X(meeting, media_and_keyframe_requests_are_reported)                         \
  X(meeting, congestion_signals_limit_the_send_rate)                           \
  X(meeting, simulcast_layers_are_streams_of_their_own)                        \
  X(meeting, resume_token_is_handed_out_whole)                                 \
  X(e2ee, matches_the_vector_and_the_format)                                   \
  X(e2ee, roundtrip_and_overhead)                                              \
  X(e2ee, every_damaged_frame_is_refused_and_zeroed)                           \
  X(e2ee, replay_window_takes_late_frames_once)                                \
  X(e2ee, replay_window_slides_by_any_step)                                    \
  X(e2ee, late_joiners_and_the_departed_read_nothing_extra)                    \
  X(e2ee, sealed_keys_reach_only_their_recipient)                              \
  X(e2ee, safety_code_depends_on_the_set_not_its_order)                        \
  X(rate, growing_delay_means_overuse_and_a_lower_target)                      \
  X(rate, flat_delay_means_growth)                                             \
  X(rate, loss_over_ten_percent_backs_off)                                     \
  X(rate, loss_between_two_and_ten_percent_holds)                              \
  X(rate, loss_under_two_percent_allows_growth)                                \
  X(rate, aggregate_loss_reports_use_the_same_bands)                           \
  X(rate, audio_comes_first_then_the_lowest_layer)                             \
  X(rate, layers_need_their_budget_and_do_not_flap)                            \
  X(rate, the_controller_drops_layers_with_the_target)                         \
  X(rate, bad_input_is_counted_and_survived)                                   \
  X(rate, arrivals_going_back_or_jumping_are_contained)                        \
  X(rate, history_is_a_ring_with_a_cap)                                        \
  X(rate, sequence_wraps_at_sixteen_bits)                                      \
  X(rate, target_stays_within_min_and_max)                                     \
  X(rate, silence_from_the_receiver_halves_the_target)                         \
  X(rate, slow_encoding_steps_the_camera_down)                                 \
  X(rate, frames_dropped_before_the_encoder_step_it_down)                      \
  X(rate, an_engine_running_late_steps_it_down)                                \
  X(rate, a_machine_with_room_steps_back_up_after_a_wait)                      \
  X(rate, flapping_between_levels_doubles_the_wait)                            \
  X(rate, cpu_adaptation_refuses_bad_settings_and_time)                        \
  X(video, reassembles_split_frames_in_any_order)                              \
  X(video, reorders_into_decode_order)                                         \
  X(video, delta_waits_for_its_references)                                     \
  X(video, late_reference_is_not_lost)                                         \
  X(video, gap_requests_keyframe_with_backoff)                                 \
  X(video, long_rtt_sets_the_first_backoff)                                    \
  X(video, gap_is_timed_from_when_it_was_seen)                                 \
  X(video, doomed_delta_is_dropped_and_requests_at_once)                       \
  X(video, first_frames_without_keyframe_request_one)                          \
  X(video, broken_keyframe_keeps_the_backoff)                                  \
  X(video, render_delay_follows_jitter)                                        \
  X(video, render_delay_follows_a_drifting_clock)                              \
  X(video, latest_frame_wins_only_at_keyframes)                                \
  X(video, freezes_and_delay_are_counted)                                      \
  X(video, frame_cap_drops_undecodable_first)                                  \
  X(video, byte_cap_is_kept)                                                   \
  X(video, bad_input_is_refused_and_loses_nothing)                             \
  X(video, duplicates_and_old_frames_are_ignored)                              \
  X(video, frame_ids_wrap)                                                     \
  X(video, write_copies_or_is_nobuf)                                           \
  X(video, settings_are_checked)                                               \
  X(video, restart_takes_another_stream)                                       \
  VC_UNIT_TESTS_SERVER(X)

#endif /* VC_TEST_LIST_H */
