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
// whose year has not four digits or whose zone is not whole hours under
// 24), the record goes to json.Marshal too, so the error is always its own.
//
// The stored bytes must not change with this: caches are keyed by them and
// older stores are read the same way.
func encodeRecord(v any) ([]byte, error) {
	switch r := v.(type) {
	case *domain.Case:
		if r != nil {
			return encodeWith(r, (*jsonWriter).caseRecord)
		}
	case *domain.Proposal:
		if r != nil {
			return encodeWith(r, (*jsonWriter).proposal)
		}
	case *domain.AuditEntry:
		if r != nil {
			return encodeWith(r, (*jsonWriter).auditEntry)
		}
	case *domain.HoursEntry:
		if r != nil {
			return encodeWith(r, (*jsonWriter).hoursEntry)
		}
	}
	return json.Marshal(v)
}

// encodeWith writes v with write into a pooled buffer and returns a copy
// of its exact length, which the caller keeps (bbolt holds it until the
// commit); if write could not write v exactly, json.Marshal does.
func encodeWith[T any](v *T, write func(*jsonWriter, *T)) ([]byte, error) {
	w := jsonWriters.Get().(*jsonWriter)
	w.b, w.ok = w.b[:0], true
	write(w, v)
	var out []byte
	if w.ok {
		out = make([]byte, len(w.b))
		copy(out, w.b)
	}
	ok := w.ok
	if cap(w.b) <= maxPooledEncoding {
		jsonWriters.Put(w)
	}
	if !ok {
		return json.Marshal(v)
	}
	return out, nil
}

// maxPooledEncoding bounds the buffers kept for the next record, so one
// large record does not hold its memory for good.
const maxPooledEncoding = 64 << 10

var jsonWriters = sync.Pool{New: func() any { return &jsonWriter{b: make([]byte, 0, 512)} }}

// jsonWriter appends JSON to b as encoding/json writes it. ok turns false
// when a value cannot be written exactly as json.Marshal would.
type jsonWriter struct {
	b  []byte
	ok bool
}

// key appends the literal k: a comma and a quoted field name with its
// colon, as `,"name":`; the names need no escaping.
func (w *jsonWriter) key(k string) { w.b = append(w.b, k...) }

// str appends s as json.Marshal writes a string.
func (w *jsonWriter) str(s string) { w.b = jsonenc.AppendString(w.b, s) }

// strOmitEmpty appends k and s unless s is empty (omitempty).
func (w *jsonWriter) strOmitEmpty(k, s string) {
	if s != "" {
		w.key(k)
		w.str(s)
	}
}

// strs appends k and ss unless ss is empty (omitempty: nil and empty alike).
func strs[S ~string](w *jsonWriter, k string, ss []S) {
	if len(ss) == 0 {
		return
	}
	w.key(k)
	w.b = append(w.b, '[')
	for i, s := range ss {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(string(s))
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) uint(n uint64) { w.b = strconv.AppendUint(w.b, n, 10) }

func (w *jsonWriter) int(n int) { w.b = strconv.AppendInt(w.b, int64(n), 10) }

// boolOmitEmpty appends k and true when v is (omitempty).
func (w *jsonWriter) boolOmitEmpty(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

// float appends f as json.Marshal writes a float64, or gives up on it.
func (w *jsonWriter) float(f float64) {
	var ok bool
	if w.b, ok = jsonenc.AppendFloat(w.b, f); !ok {
		w.ok = false
	}
}

// time appends t as json.Marshal writes a time.Time, or gives up on it.
func (w *jsonWriter) time(t time.Time) {
	var ok bool
	if w.b, ok = jsonenc.AppendTime(w.b, t); !ok {
		w.ok = false
	}
}

// timeOmitZero appends k and t unless t.IsZero() (omitzero).
func (w *jsonWriter) timeOmitZero(k string, t time.Time) {
	if !t.IsZero() {
		w.key(k)
		w.time(t)
	}
}

func (w *jsonWriter) caseRecord(c *domain.Case) {
	w.key(`{"ref":`)
	w.str(c.Ref)
	w.key(`,"team":`)
	w.str(c.Team)
	w.key(`,"type":`)
	w.str(c.Type)
	strs(w, `,"factors":`, c.Factors)
	if c.Children != 0 {
		w.key(`,"children":`)
		w.int(c.Children)
	}
	w.key(`,"status":`)
	w.str(string(c.Status))
	w.strOmitEmpty(`,"holder":`, string(c.Holder))
	strs(w, `,"involved":`, c.Involved)
	strs(w, `,"prev_holders":`, c.PrevHolders)
	if c.Proposal != 0 {
		w.key(`,"proposal":`)
		w.uint(c.Proposal)
	}
	w.overrideOmitEmpty(c.Override)
	w.key(`,"created_at":`)
	w.time(c.CreatedAt)
	w.timeOmitZero(`,"queued_since":`, c.QueuedSince)
	w.timeOmitZero(`,"allocated_at":`, c.AllocatedAt)
	w.timeOmitZero(`,"closed_at":`, c.ClosedAt)
	w.strOmitEmpty(`,"move_to":`, c.MoveTo)
	w.strOmitEmpty(`,"moved_from":`, c.MovedFrom)
	w.strOmitEmpty(`,"move_reason":`, c.MoveReason)
	w.timeOmitZero(`,"moved_at":`, c.MovedAt)
	w.b = append(w.b, '}')
}

// overrideOmitEmpty appends an override unless o is nil (omitempty).
func (w *jsonWriter) overrideOmitEmpty(o *domain.Override) {
	if o == nil {
		return
	}
	w.key(`,"override":{"reason":`)
	w.str(o.Reason)
	w.key(`,"review_on":`)
	w.str(string(o.ReviewOn))
	w.key(`,"by":`)
	w.str(string(o.By))
	w.key(`,"at":`)
	w.time(o.At)
	w.key(`,"percent":`)
	w.float(o.Percent)
	w.boolOmitEmpty(`,"reviewed":`, o.Reviewed)
	w.strOmitEmpty(`,"reviewed_by":`, string(o.ReviewedBy))
	w.timeOmitZero(`,"reviewed_at":`, o.ReviewedAt)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) proposal(p *domain.Proposal) {
	w.key(`{"id":`)
	w.uint(p.ID)
	w.key(`,"team":`)
	w.str(p.Team)
	w.key(`,"ref":`)
	w.str(p.Ref)
	w.key(`,"kind":`)
	w.str(string(p.Kind))
	w.key(`,"to":`)
	w.str(string(p.To))
	w.strOmitEmpty(`,"from":`, string(p.From))
	w.key(`,"by":`)
	w.str(string(p.By))
	w.key(`,"at":`)
	w.time(p.At)
	w.strOmitEmpty(`,"reason":`, p.Reason)
	w.overrideOmitEmpty(p.Override)
	w.key(`,"before":`)
	w.float(p.Before)
	w.key(`,"after":`)
	w.float(p.After)
	w.key(`,"status":`)
	w.str(string(p.Status))
	w.timeOmitZero(`,"answered_at":`, p.AnsweredAt)
	w.strOmitEmpty(`,"answered_by":`, string(p.AnsweredBy))
	w.strOmitEmpty(`,"answer":`, p.Answer)
	w.boolOmitEmpty(`,"reminded":`, p.Reminded)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) hoursEntry(h *domain.HoursEntry) {
	w.key(`{"id":`)
	w.uint(h.ID)
	w.key(`,"team":`)
	w.str(h.Team)
	w.key(`,"by":`)
	w.str(string(h.By))
	w.key(`,"hours":`)
	w.float(h.Hours)
	w.strOmitEmpty(`,"note":`, h.Note)
	w.key(`,"at":`)
	w.time(h.At)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) auditEntry(e *domain.AuditEntry) {
	w.key(`{"seq":`)
	w.uint(e.Seq)
	w.key(`,"at":`)
	w.time(e.At)
	w.key(`,"actor":`)
	w.str(string(e.Actor))
	w.strOmitEmpty(`,"team":`, e.Team)
	w.key(`,"action":`)
	w.str(e.Action)
	w.strOmitEmpty(`,"subject":`, e.Subject)
	w.strOmitEmpty(`,"before":`, e.Before)
	w.strOmitEmpty(`,"after":`, e.After)
	w.strOmitEmpty(`,"detail":`, e.Detail)
	w.b = append(w.b, '}')
}
