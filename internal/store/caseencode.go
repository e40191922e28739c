package store

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/jsonenc"
)

// encodeRecord encodes a record as json.Marshal does, byte for byte: the
// records the writing commands store (cases, proposals, hours entries and
// audit entries) are written directly, without encoding/json's reflection;
// anything else goes to json.Marshal. Where a record holds a value the
// direct writer cannot write exactly (a float that is not finite, a time
// whose year is outside 0–9999 or whose zone offset is 24 hours or more),
// the record goes to json.Marshal too, so the error is always its own.
//
// The stored bytes must not change with this: caches are keyed by them and
// older stores are read the same way.
func encodeRecord(v any) ([]byte, error) {
	switch r := v.(type) {
	case *domain.Case:
		if r != nil {
			return encodeWith(r, appendCase)
		}
	case *domain.Proposal:
		if r != nil {
			return encodeWith(r, appendProposal)
		}
	case *domain.AuditEntry:
		if r != nil {
			return encodeWith(r, appendAuditEntry)
		}
	case *domain.HoursEntry:
		if r != nil {
			return encodeWith(r, appendHoursEntry)
		}
	}
	return json.Marshal(v)
}

// encodeWith writes v with write into a pooled buffer and returns a copy
// of its exact length, which the caller keeps (bbolt holds it until the
// commit); if write could not write v exactly, json.Marshal does.
func encodeWith[T any](v *T, write func([]byte, *T) ([]byte, bool)) ([]byte, error) {
	bp := encodeBuffers.Get().(*[]byte)
	b, ok := write((*bp)[:0], v)
	var out []byte
	if ok {
		out = make([]byte, len(b))
		copy(out, b)
	}
	if cap(b) <= maxPooledEncoding {
		*bp = b
		encodeBuffers.Put(bp)
	}
	if !ok {
		return json.Marshal(v)
	}
	return out, nil
}

// maxPooledEncoding bounds the buffers kept for the next record, so one
// large record does not hold its memory for good.
const maxPooledEncoding = 64 << 10

var encodeBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 512)
	return &b
}}

// The record writers below append a record's fields in its struct's order,
// each named by its json tag, leaving out what the tag's omitempty (an
// empty string or slice, a zero number, false, a nil pointer) or omitzero
// (a time whose IsZero is true) leaves out. Each returns false with ok when
// a value cannot be written exactly as json.Marshal would.

// appendStrOmitEmpty appends the literal key k (`,"name":`) and s unless s
// is empty.
func appendStrOmitEmpty(b []byte, k, s string) []byte {
	if s == "" {
		return b
	}
	return jsonenc.AppendString(append(b, k...), s)
}

// appendStrs appends k and ss unless ss is empty (nil or not).
func appendStrs[S ~string](b []byte, k string, ss []S) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, k...)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, string(s))
	}
	return append(b, ']')
}

// appendTrueOmitEmpty appends k and true when v is.
func appendTrueOmitEmpty(b []byte, k string, v bool) []byte {
	if !v {
		return b
	}
	b = append(b, k...)
	return append(b, "true"...)
}

// appendTime appends t, and keeps ok only if it could.
func appendTime(b []byte, t time.Time, ok bool) ([]byte, bool) {
	b, wrote := jsonenc.AppendTime(b, t)
	return b, ok && wrote
}

// appendTimeOmitZero appends k and t unless t.IsZero().
func appendTimeOmitZero(b []byte, k string, t time.Time, ok bool) ([]byte, bool) {
	if t.IsZero() {
		return b, ok
	}
	return appendTime(append(b, k...), t, ok)
}

// appendFloat appends f, and keeps ok only if it could.
func appendFloat(b []byte, f float64, ok bool) ([]byte, bool) {
	b, wrote := jsonenc.AppendFloat(b, f)
	return b, ok && wrote
}

func appendCase(b []byte, c *domain.Case) ([]byte, bool) {
	ok := true
	b = append(b, `{"ref":`...)
	b = jsonenc.AppendString(b, c.Ref)
	b = append(b, `,"team":`...)
	b = jsonenc.AppendString(b, c.Team)
	b = append(b, `,"type":`...)
	b = jsonenc.AppendString(b, c.Type)
	b = appendStrs(b, `,"factors":`, c.Factors)
	if c.Children != 0 {
		b = append(b, `,"children":`...)
		b = strconv.AppendInt(b, int64(c.Children), 10)
	}
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, string(c.Status))
	b = appendStrOmitEmpty(b, `,"holder":`, string(c.Holder))
	b = appendStrs(b, `,"involved":`, c.Involved)
	b = appendStrs(b, `,"prev_holders":`, c.PrevHolders)
	if c.Proposal != 0 {
		b = append(b, `,"proposal":`...)
		b = strconv.AppendUint(b, c.Proposal, 10)
	}
	b, ok = appendOverride(b, c.Override, ok)
	b = append(b, `,"created_at":`...)
	b, ok = appendTime(b, c.CreatedAt, ok)
	b, ok = appendTimeOmitZero(b, `,"queued_since":`, c.QueuedSince, ok)
	b, ok = appendTimeOmitZero(b, `,"allocated_at":`, c.AllocatedAt, ok)
	b, ok = appendTimeOmitZero(b, `,"closed_at":`, c.ClosedAt, ok)
	b = appendStrOmitEmpty(b, `,"move_to":`, c.MoveTo)
	b = appendStrOmitEmpty(b, `,"moved_from":`, c.MovedFrom)
	b = appendStrOmitEmpty(b, `,"move_reason":`, c.MoveReason)
	b, ok = appendTimeOmitZero(b, `,"moved_at":`, c.MovedAt, ok)
	return append(b, '}'), ok
}

// appendOverride appends the "override" field of a case or a proposal
// unless o is nil.
func appendOverride(b []byte, o *domain.Override, ok bool) ([]byte, bool) {
	if o == nil {
		return b, ok
	}
	b = append(b, `,"override":{"reason":`...)
	b = jsonenc.AppendString(b, o.Reason)
	b = append(b, `,"review_on":`...)
	b = jsonenc.AppendString(b, string(o.ReviewOn))
	b = append(b, `,"by":`...)
	b = jsonenc.AppendString(b, string(o.By))
	b = append(b, `,"at":`...)
	b, ok = appendTime(b, o.At, ok)
	b = append(b, `,"percent":`...)
	b, ok = appendFloat(b, o.Percent, ok)
	b = appendTrueOmitEmpty(b, `,"reviewed":`, o.Reviewed)
	b = appendStrOmitEmpty(b, `,"reviewed_by":`, string(o.ReviewedBy))
	b, ok = appendTimeOmitZero(b, `,"reviewed_at":`, o.ReviewedAt, ok)
	return append(b, '}'), ok
}

func appendProposal(b []byte, p *domain.Proposal) ([]byte, bool) {
	ok := true
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, p.ID, 10)
	b = append(b, `,"team":`...)
	b = jsonenc.AppendString(b, p.Team)
	b = append(b, `,"ref":`...)
	b = jsonenc.AppendString(b, p.Ref)
	b = append(b, `,"kind":`...)
	b = jsonenc.AppendString(b, string(p.Kind))
	b = append(b, `,"to":`...)
	b = jsonenc.AppendString(b, string(p.To))
	b = appendStrOmitEmpty(b, `,"from":`, string(p.From))
	b = append(b, `,"by":`...)
	b = jsonenc.AppendString(b, string(p.By))
	b = append(b, `,"at":`...)
	b, ok = appendTime(b, p.At, ok)
	b = appendStrOmitEmpty(b, `,"reason":`, p.Reason)
	b, ok = appendOverride(b, p.Override, ok)
	b = append(b, `,"before":`...)
	b, ok = appendFloat(b, p.Before, ok)
	b = append(b, `,"after":`...)
	b, ok = appendFloat(b, p.After, ok)
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, string(p.Status))
	b, ok = appendTimeOmitZero(b, `,"answered_at":`, p.AnsweredAt, ok)
	b = appendStrOmitEmpty(b, `,"answered_by":`, string(p.AnsweredBy))
	b = appendStrOmitEmpty(b, `,"answer":`, p.Answer)
	b = appendTrueOmitEmpty(b, `,"reminded":`, p.Reminded)
	return append(b, '}'), ok
}

func appendHoursEntry(b []byte, h *domain.HoursEntry) ([]byte, bool) {
	ok := true
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, h.ID, 10)
	b = append(b, `,"team":`...)
	b = jsonenc.AppendString(b, h.Team)
	b = append(b, `,"by":`...)
	b = jsonenc.AppendString(b, string(h.By))
	b = append(b, `,"hours":`...)
	b, ok = appendFloat(b, h.Hours, ok)
	b = appendStrOmitEmpty(b, `,"note":`, h.Note)
	b = append(b, `,"at":`...)
	b, ok = appendTime(b, h.At, ok)
	return append(b, '}'), ok
}

func appendAuditEntry(b []byte, e *domain.AuditEntry) ([]byte, bool) {
	ok := true
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"at":`...)
	b, ok = appendTime(b, e.At, ok)
	b = append(b, `,"actor":`...)
	b = jsonenc.AppendString(b, string(e.Actor))
	b = appendStrOmitEmpty(b, `,"team":`, e.Team)
	b = append(b, `,"action":`...)
	b = jsonenc.AppendString(b, e.Action)
	b = appendStrOmitEmpty(b, `,"subject":`, e.Subject)
	b = appendStrOmitEmpty(b, `,"before":`, e.Before)
	b = appendStrOmitEmpty(b, `,"after":`, e.After)
	b = appendStrOmitEmpty(b, `,"detail":`, e.Detail)
	return append(b, '}'), ok
}
