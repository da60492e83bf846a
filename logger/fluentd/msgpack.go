package fluentd

import (
	"encoding/binary"
	"sort"
	"time"
)

// The few msgpack forms the forward protocol's Message mode needs:
// strings, string maps, arrays, unsigned ints and EventTime.

func appendStr(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 1<<8:
		b = append(b, 0xd9, byte(n))
	case n < 1<<16:
		b = append(b, 0xda, 0, 0)
		binary.BigEndian.PutUint16(b[len(b)-2:], uint16(n))
	default:
		b = append(b, 0xdb, 0, 0, 0, 0)
		binary.BigEndian.PutUint32(b[len(b)-4:], uint32(n))
	}
	return append(b, s...)
}

func appendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0xde, 0, 0)
		binary.BigEndian.PutUint16(b[len(b)-2:], uint16(n))
		return b
	}
	b = append(b, 0xdf, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[len(b)-4:], uint32(n))
	return b
}

func appendStrMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = appendMapHeader(b, len(keys))
	for _, k := range keys {
		b = appendStr(appendStr(b, k), m[k])
	}
	return b
}

func appendUint(b []byte, v uint64) []byte {
	if v < 128 {
		return append(b, byte(v))
	}
	b = append(b, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint64(b[len(b)-8:], v)
	return b
}

// appendEventTime is fluentd's ext type 0: seconds and nanoseconds.
func appendEventTime(b []byte, t time.Time) []byte {
	b = append(b, 0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[len(b)-8:], uint32(t.Unix()))
	binary.BigEndian.PutUint32(b[len(b)-4:], uint32(t.Nanosecond()))
	return b
}

// message encodes [tag, time, record].
func message(tag string, t time.Time, subSecond bool, record map[string]string) []byte {
	b := []byte{0x93}
	b = appendStr(b, tag)
	if subSecond {
		b = appendEventTime(b, t)
	} else {
		b = appendUint(b, uint64(t.Unix()))
	}
	return appendStrMap(b, record)
}
