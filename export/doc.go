// Package export writes stored events out of vigil, one at a time, in the
// formats other tools read: JSON, JSON Lines, CSV, ArcSight CEF, QRadar LEEF
// 1.0 and 2.0, and the hash-chain export of chain-format.md.
//
// Every writer streams: it holds one event's output at a time (a buffer
// reused from event to event) and a fixed-size write buffer, so memory stays
// flat however many events a query returns. A Writer is not safe for
// concurrent use. Close flushes what is buffered and, for json, writes the
// closing bracket; it never closes the io.Writer it was given.
//
// # Every string from an event is hostile
//
// An actor name, a detail value or an event type may carry terminal escapes,
// newlines meant to forge a second log line, spreadsheet formulas or the
// separators of the format itself. Each format deals with them its own way:
//
//   - json, jsonl, chain: valid JSON escaping is all it takes. Every element
//     is on one line. Besides the escapes JSON requires, DEL, the C1
//     controls (NEL, U+0085, among them), the bidirectional controls and
//     U+2028 and U+2029 are written as \u escapes: they mean the same to a
//     JSON reader, but no line splitter (Python's str.splitlines splits on
//     NEL and U+2028) can cut an element, and viewing the file cannot
//     reorder or hide text.
//   - csv: a cell whose first character would make a spreadsheet evaluate it
//     is defused with a leading apostrophe (see the csv section).
//   - cef: header fields escape "\" and "|", extension values escape "\",
//     "=" and write newline and carriage return as \n and \r, as the CEF
//     standard says; every other control character (and the bidirectional
//     controls, line and paragraph separators and bytes that are not UTF-8)
//     is replaced by a visible stand-in as event.Safe renders it (ESC becomes
//     "␛", U+202E "⟨U+202E⟩").
//   - leef, leef2: LEEF has no escaping at all. Every control character, CR
//     and LF among them, becomes its event.Safe stand-in ("␍", "␊"), and the
//     attribute delimiter inside a value, or "|" inside a header field,
//     becomes a space. "=" is left alone: QRadar splits an attribute at its
//     first "=" and keys are never taken from events.
//
// No writer ever takes a key, a column name or a header layout from an
// event: those are all fixed here.
//
// # json and jsonl
//
// json writes one JSON array with one element a line; jsonl writes the same
// elements one a line with no array around them. An element is
//
//	{"seq":7,"event":{...},"raw":{...}}
//
// where "event" is the event in the native shape of event-format.md with
// every derived field filled in (event.MarshalNative) and "raw" is what was
// received, exactly: the received JSON itself (with insignificant whitespace
// removed so that the element stays on one line), or, for input that was
// not JSON, "raw_text" holding it as a string, or, for bytes that are not
// UTF-8, "raw_base64". The event is nested rather than spread at the top
// level because an event keeps unknown top-level keys: a received "seq" or
// "raw" key would otherwise give the element the same key twice.
//
// # csv
//
// RFC 4180 as encoding/csv writes it, with a header row and these columns:
//
//	seq, time, event_id, action, category, severity, outcome,
//	actor, actor_id, role, target, target_id,
//	ip, location, user_agent, device, session,
//	source, component, message, details
//
// time is RFC 3339 in UTC with nanoseconds; actor and target are the email,
// else the name, else the id; details is the details object as compact JSON
// with sorted keys, empty when there are none. Records end in "\n", not
// "\r\n": encoding/csv's CRLF mode drops a lone "\r" inside a field, and
// every CSV reader accepts "\n".
//
// A cell that starts with "=", "+", "-", "@", a tab or a carriage return
// (or their fullwidth forms "＝", "＋", "－", "＠", which some spreadsheets
// also accept) would be evaluated as a formula when the file is opened in a
// spreadsheet (OWASP, "CSV Injection"); it gets a leading "'". So that the
// original can always be recovered, a cell that already starts with "'" gets
// one too: to read a cell back exactly, drop one leading "'" if there is
// one. The rule applies to every cell, but only strings that come from an
// event can start so: seq and time never do, and details starts with "{".
// Nothing else is changed: a CSV cell holds the event's string exactly.
//
// # cef
//
// One line an event:
//
//	CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension
//
// Vendor, Product and Version come from Options (default "vigil", "vigil",
// "dev"). SignatureID is the action (event_type), the same for every event of
// a kind as the standard asks. Name is the catalogue's description of the
// action, else the action itself: the standard wants a name free of the
// particulars of one event ("Port scan", not "Port scan from 10.0.0.1"), so
// the event's message goes to msg instead. Severity maps vigil's severities
// onto CEF's 0-10, whose bands are 0-3 Low, 4-6 Medium, 7-8 High, 9-10
// Very-High:
//
//	info 1, low 3, medium 5, high 8, critical 10 (anything else 0)
//
// Extension keys, in this order, each left out when its value is empty:
//
//	rt                        event time, milliseconds since the Unix epoch
//	externalId                event_id
//	cat                       category
//	act                       action (event_type)
//	outcome                   outcome
//	msg                       message
//	suser, suid, spriv        actor (email, else name, else id), actor id, actor role
//	duser, duid               target (email, else name, else id), target id
//	src                       context.ip when it is an IPv4 address
//	c6a1, c6a1Label           context.ip when it is an IPv6 address ("Source IPv6 Address")
//	requestClientApplication  user agent
//	cs1 / cs1Label=location   location
//	cs2 / cs2Label=source     source
//	cs3 / cs3Label=component  component
//	cs4 / cs4Label=device     device
//	cs5 / cs5Label=chainHash  the chain hash of the record (64 hex)
//	cs6 / cs6Label=details    details as compact JSON
//	cn1 / cn1Label=seq        seq
//	flexString1 / flexString1Label=session  session id
//	flexString2 / flexString2Label=ip       context.ip when it is not an address
//
// Values are not truncated to the lengths of the CEF dictionary; ArcSight
// truncates on its side. Lines carry no syslog prefix: a file of them is
// what a SmartConnector's file reader takes, and a syslog sender adds its
// own.
//
// # leef and leef2
//
// leef writes LEEF 1.0, attributes separated by tabs:
//
//	LEEF:1.0|Vendor|Product|Version|EventID|key=value<tab>key=value...
//
// leef2 writes LEEF 2.0, which declares its delimiter in the header
// (Options.LEEFDelimiter, "^" by default; a tab or "|" is written in hex,
// x09 or x7C, so that the header stays readable):
//
//	LEEF:2.0|Vendor|Product|Version|EventID|^|key=value^key=value...
//
// EventID is the action (event_type): QRadar maps EventID, with cat, to its
// event identifiers. Attributes, in this order, each left out when empty:
//
//	devTime        event time in UTC, e.g. 2025-01-15T14:30:00.000+0000
//	devTimeFormat  yyyy-MM-dd'T'HH:mm:ss.SSSZ (the pattern of IBM's own example)
//	cat            category
//	sev            1-10: info 1, low 3, medium 5, high 8, critical 10
//	usrName        actor (email, else name, else id)
//	role           actor role
//	resource       target (email, else name, else id)
//	src            context.ip when it is an IPv4 or IPv6 address
//	externalId     event_id
//	outcome        outcome
//	msg            message
//	actorId        actor id
//	targetId       target id
//	userAgent      user agent
//	location       location
//	device         device
//	session        session id
//	source         source
//	component      component
//	ip             context.ip when it is not an address
//	seq            seq
//	chainHash      the chain hash of the record (64 hex)
//	details        details as compact JSON
//
// devTime, devTimeFormat, cat, sev, usrName, role, resource and src are
// LEEF's predefined attributes; the rest are custom keys. policy has no
// counterpart in an audit event and is not written.
//
// The delimiter of leef2 must be a tab or one of ! # $ % & ( ) * / ; < > ?
// @ ^ _ ` | ~: letters and digits would cut keys, and the other punctuation
// appears in devTime, devTimeFormat or the JSON of details, which must reach
// QRadar whole.
//
// # chain
//
// Exactly the chain export of chain-format.md, one line an event:
//
//	{"seq":1,"prev":"<64 hex>","hash":"<64 hex>","record":"<record as a JSON string>"}
//
// The record string decodes to exactly the stored record bytes. The writer
// exports what it is given, as it is: it does not recompute hashes or check
// links, so a store that was tampered with exports as tampered and the
// auditor's verifier reports where. It does refuse records out of order
// (a seq not above the one before: the export is oldest first), and a record
// that is not UTF-8, which no JSON string can carry exactly. For the export
// to verify, give it a contiguous range of seqs, not the filtered results of
// a query.
package export
