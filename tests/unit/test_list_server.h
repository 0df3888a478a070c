/*
 * test_list_server.h: the unit tests of server-stub's sans-I/O parts, as
 * X(suite, behaviour); included by test_list.h.
 */
#ifndef VC_TEST_LIST_SERVER_H
#define VC_TEST_LIST_SERVER_H

#define VC_UNIT_TESTS_SERVER(X)                                                \
  X(http_request, parses_a_simple_get)                                         \
  X(http_request, needs_more_until_the_empty_line)                             \
  X(http_request, splits_anywhere)                                             \
  X(http_request, bare_lf_lines_are_accepted)                                  \
  X(http_request, pipelined_requests_parse_one_at_a_time)                      \
  X(http_request, keep_alive_follows_version_and_connection)                   \
  X(http_request, oversized_head_is_431)                                       \
  X(http_request, too_many_headers_is_431)                                     \
  X(http_request, long_target_is_414_before_the_head_ends)                     \
  X(http_request, body_is_413)                                                 \
  X(http_request, transfer_encoding_is_501)                                    \
  X(http_request, unknown_versions_are_505)                                    \
  X(http_request, smuggling_shapes_are_400)                                    \
  X(http_request, control_bytes_are_400)                                       \
  X(http_request, websocket_headers_are_captured)                              \
  X(http_request, long_websocket_headers_are_431)                              \
  X(http_request, repeated_single_headers_are_400)                             \
  X(routes, root_serves_the_start_page)                                        \
  X(routes, meeting_link_serves_the_app_page)                                  \
  X(routes, meeting_names_outside_the_safe_set_are_400)                        \
  X(routes, incomplete_meeting_links_are_400)                                  \
  X(routes, trailing_slash_redirects)                                          \
  X(routes, dot_segments_never_reach_the_file_system)                          \
  X(routes, encoded_slash_and_nul_are_judged_after_decoding)                   \
  X(routes, only_get_and_head_are_allowed)                                     \
  X(routes, query_is_ignored)                                                  \
  X(http_response, head_has_the_security_headers)                              \
  X(http_response, short_buffer_is_an_error_not_a_partial_head)                \
  X(http_response, error_page_escapes_its_text)                                \
  X(http_response, content_types_by_extension)                                 \
  X(room, participant_cap_is_reached)                                          \
  X(room, refusals_explain_and_change_nothing)                                 \
  X(room, spoofed_media_is_dropped)                                            \
  X(room, chat_rate_cap_is_reached)                                            \
  X(room, resume_keeps_the_session)                                            \
  X(room, only_the_host_acts)                                                  \
  X(room, video_follows_subscriptions)                                         \
  X(room, chat_history_cap_is_reached)                                         \
  X(room, media_flood_is_cut_to_the_rate)                                      \
  X(room, keys_are_relayed_in_the_senders_name_only)                           \
  X(room, keyframe_requests_are_coalesced)                                     \
  X(room, large_rooms_forward_the_loudest_three)                               \
  X(rooms, joins_pick_rooms_up_to_the_cap)                                     \
  X(rooms, a_closed_room_leaves_its_connections_in_none)                       \
  X(ws_frame, reads_the_rfc_masked_hello)                                      \
  X(ws_frame, mixed_stream_read_whole)                                         \
  X(ws_frame, mixed_stream_fed_one_byte_at_a_time)                             \
  X(ws_frame, mixed_stream_cut_at_random_points)                               \
  X(ws_frame, ping_between_fragments_keeps_the_message)                        \
  X(ws_frame, text_split_inside_a_character_is_valid)                          \
  X(ws_frame, lengths_7_16_and_64_bit)                                         \
  X(ws_frame, write_header_forms_and_errors)                                   \
  X(ws_frame, write_close_round_trips)                                         \
  X(ws_frame, close_codes_and_reasons)                                         \
  X(ws_frame, protocol_errors_are_malformed)                                   \
  X(ws_frame, too_big_is_seen_from_the_header)                                 \
  X(ws_frame, errors_are_sticky)                                               \
  X(ws_frame, init_needs_a_big_enough_buffer)                                  \
  X(ws_handshake, rfc_example_key_is_accepted)                                 \
  X(ws_handshake, browser_and_native_shapes_are_accepted)                      \
  X(ws_handshake, malformed_requests_are_400)                                  \
  X(ws_handshake, other_versions_are_426)                                      \
  X(ws_handshake, foreign_origins_are_403)                                     \
  X(ws_handshake, refusal_is_a_complete_response)

#endif /* VC_TEST_LIST_SERVER_H */
