package importer

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// CSVHeader is the first line of the CSV export (fixed: tools read it).
var CSVHeader = []string{"team", "member", "name", "role", "fte", "capacity_points", "load_points", "load_percent", "cases", "rag"}

// Row is one member of one team on the export day: the CSV columns, in
// order, then what only the JSON export carries.
type Row struct {
	Team           string          `json:"team"`
	Member         domain.PersonID `json:"member"`
	Name           string          `json:"name"`
	Role           domain.Role     `json:"role"`
	FTE            float64         `json:"fte"`
	CapacityPoints float64         `json:"capacity_points"`
	LoadPoints     float64         `json:"load_points"`
	LoadPercent    *float64        `json:"load_percent"` // null when capacity is 0
	Cases          int             `json:"cases"`
	RAG            domain.RAG      `json:"rag"` // "" for students and managers

	LoadRAG          domain.RAG     `json:"load_rag,omitempty"`
	CountRAG         domain.RAG     `json:"count_rag,omitempty"`
	Room             bool           `json:"room,omitempty"` // green with room for more
	ReductionPercent float64        `json:"reduction_percent,omitempty"`
	Reductions       []ReductionOut `json:"reductions,omitempty"`
	// LastReview is the day of the member's latest caseload review in
	// supervision (null when none); ReviewDue when the next is due.
	LastReview *domain.Date `json:"last_review"`
	ReviewDue  domain.Date  `json:"review_due,omitempty"`
}

// ReductionOut is a member's reduction and whether it counts on the day.
type ReductionOut struct {
	domain.Reduction
	Active bool `json:"active"`
}

// TeamOut is one team in the JSON export.
type TeamOut struct {
	ID             string           `json:"id"`
	Name           string           `json:"name"`
	Channel        domain.ChannelID `json:"channel,omitempty"`
	ServiceManager domain.PersonID  `json:"service_manager,omitempty"`
	// Policy names the team's policy; Posts is its funded establishment in
	// FTE (0 when not set) and VacancyPercent the share of it vacant (null
	// when posts are not set).
	Policy         string       `json:"policy"`
	Posts          float64      `json:"posts"`
	VacancyPercent *float64     `json:"vacancy_percent"`
	Summary        TeamFigures  `json:"summary"`
	Members        []Row        `json:"members"`
	Queue          []QueuedCase `json:"queue"`
}

// TeamFigures roll a team up (domain.Summarise: points summed first, divided
// after; average caseload is open cases per practitioner, ASYEs included).
type TeamFigures struct {
	Practitioners  int      `json:"practitioners"`
	OpenCases      int      `json:"open_cases"`
	AverageCases   float64  `json:"average_cases"`
	AveragePoints  float64  `json:"average_points"`
	LoadPoints     float64  `json:"load_points"`
	CapacityPoints float64  `json:"capacity_points"`
	LoadPercent    *float64 `json:"load_percent"` // null when capacity is 0
	Green          int      `json:"green"`
	Amber          int      `json:"amber"`
	Red            int      `json:"red"`
	Queued         int      `json:"queued"` // waiting or proposed
	QueuedHighRisk int      `json:"queued_high_risk"`
}

// QueuedCase is a case waiting for a practitioner, highest risk and longest
// waiting first.
type QueuedCase struct {
	Ref         string            `json:"ref"`
	Type        string            `json:"type"`
	Factors     []string          `json:"factors,omitempty"`
	Points      float64           `json:"points"`
	HighRisk    bool              `json:"high_risk"`
	Status      domain.CaseStatus `json:"status"`
	QueuedSince time.Time         `json:"queued_since,omitzero"`
}

// Export writes every team's workload on day: format "csv" (one
// row per member, header CSVHeader) or "json" (the same rows per team, with
// each team's figures and queue, and totals across teams).
//
// Teams come in order of id; within a team, members come in order of role
// (as domain.Roles lists them: managers before practitioners, ASYEs,
// students), then name, then ID. Numbers carry at most one decimal (85,
// 72.5); fte at most two (0.6, 0.75). load_percent is empty (null) when
// capacity is 0, and rag is empty for students and managers. A text cell that
// a spreadsheet would run as a formula (starting with = + - @) gets a
// leading apostrophe.
//
// It reads one team at a time in one read transaction and streams what it
// writes, so memory stays flat however many teams there are.
func Export(st domain.Store, w io.Writer, format string, pol *domain.Policy, day domain.Date) error {
	if pol == nil {
		def := domain.DefaultPolicy()
		pol = &def
	}
	var out teamWriter
	switch format {
	case "csv":
		out = &csvWriter{w: csv.NewWriter(w)}
	case "json":
		out = &jsonWriter{w: bufio.NewWriterSize(w, 64<<10), day: day, pol: pol}
	default:
		return domain.Errorf(domain.EINVALID, "%q is not an export format: use csv or json.", format)
	}
	err := st.View(func(tx domain.Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		sort.Slice(teams, func(i, j int) bool { return teams[i].ID < teams[j].ID })
		if err := out.begin(); err != nil {
			return err
		}
		for _, t := range teams {
			members, err := tx.Members(t.ID)
			if err != nil {
				return err
			}
			cases, err := tx.Cases(t.ID)
			if err != nil {
				return err
			}
			rs := rows(pol.ForTeam(t), day, t, members, cases)
			if err := reviewed(tx, pol.ForTeam(t), t, members, rs); err != nil {
				return err
			}
			if err := out.team(t, members, cases, rs); err != nil {
				return err
			}
		}
		return out.end()
	})
	return err
}

// teamWriter is one export format.
type teamWriter interface {
	begin() error
	team(t *domain.Team, members []*domain.Member, cases []*domain.Case, rows []Row) error
	end() error
}

// rows is one row per member of the team, in export order.
func rows(pol *domain.Policy, day domain.Date, t *domain.Team, members []*domain.Member, cases []*domain.Case) []Row {
	sortMembers(members)
	held := map[domain.PersonID][]*domain.Case{}
	for _, c := range cases {
		if c.Status == domain.CaseAllocated {
			held[c.Holder] = append(held[c.Holder], c)
		}
	}
	out := make([]Row, len(members))
	for i, m := range members {
		wl := pol.Workload(m, held[m.Person], day)
		r := Row{Team: t.ID, Member: m.Person, Name: m.Name, Role: m.Role, FTE: round2(m.FTE)}
		if m.Role.CarriesCases() {
			r.CapacityPoints, r.LoadPoints, r.Cases = domain.Round1(wl.Capacity), domain.Round1(wl.Load), wl.Cases
			r.LoadPercent = optional(wl.Percent, wl.HasPercent())
			r.RAG, r.LoadRAG, r.CountRAG, r.Room = wl.RAG, wl.LoadRAG, wl.CountRAG, wl.Room
		}
		r.ReductionPercent = domain.ReductionPercent(m, day)
		for _, red := range m.Reductions {
			red.Note = "" // a leave note is for the team's managers, not an export
			r.Reductions = append(r.Reductions, ReductionOut{red, red.ActiveOn(day)})
		}
		out[i] = r
	}
	return out
}

// optional is a load % for JSON: null when there is none (no capacity).
func optional(percent float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &percent
}

func sortMembers(ms []*domain.Member) {
	rank := map[domain.Role]int{}
	for i, r := range domain.Roles {
		rank[r] = i
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if rank[a.Role] != rank[b.Role] {
			return rank[a.Role] < rank[b.Role]
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Person < b.Person
	})
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// num writes a number with at most one decimal: 85, 72.5.
func num(x float64) string { return strconv.FormatFloat(domain.Round1(x), 'f', -1, 64) }

// cell keeps a spreadsheet from running a name as a formula.
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

type csvWriter struct {
	w      *csv.Writer
	record [10]string
}

func (c *csvWriter) begin() error { return c.w.Write(CSVHeader) }

func (c *csvWriter) team(_ *domain.Team, _ []*domain.Member, _ []*domain.Case, rows []Row) error {
	rec := c.record[:]
	for _, r := range rows {
		rec[0], rec[1], rec[2], rec[3] = cell(r.Team), cell(string(r.Member)), cell(r.Name), string(r.Role)
		rec[4] = strconv.FormatFloat(r.FTE, 'f', -1, 64)
		rec[5], rec[6], rec[7] = num(r.CapacityPoints), num(r.LoadPoints), ""
		if r.LoadPercent != nil {
			rec[7] = num(*r.LoadPercent)
		}
		rec[8], rec[9] = strconv.Itoa(r.Cases), string(r.RAG)
		if err := c.w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvWriter) end() error {
	c.w.Flush()
	return c.w.Error()
}

// jsonWriter streams {"day":…,"teams":[…],"totals":{…}} with one team a
// line, so a reader can follow it and memory stays flat.
type jsonWriter struct {
	w      *bufio.Writer
	day    domain.Date
	pol    *domain.Policy
	n      int
	totals Totals
}

// Totals sum every team: the figures "published" as average caseloads.
type Totals struct {
	Teams         int     `json:"teams"`
	Practitioners int     `json:"practitioners"`
	OpenCases     int     `json:"open_cases"`
	AverageCases  float64 `json:"average_cases"`
	Green         int     `json:"green"`
	Amber         int     `json:"amber"`
	Red           int     `json:"red"`
	Queued        int     `json:"queued"`
}

func (j *jsonWriter) begin() error {
	head, err := json.Marshal(struct {
		Day        domain.Date `json:"day"`
		CasePoints float64     `json:"case_points_per_fte"`
	}{j.day, j.pol.CasePoints()})
	if err != nil {
		return err
	}
	j.w.Write(head[:len(head)-1]) // reopen the object to add the teams
	_, err = j.w.WriteString(`,"teams":[`)
	return err
}

func (j *jsonWriter) team(t *domain.Team, members []*domain.Member, cases []*domain.Case, rows []Row) error {
	pol := j.pol.ForTeam(t)
	s := pol.Summarise(members, cases, j.day)
	st := pol.Staffing(t, members)
	out := TeamOut{ID: t.ID, Name: t.Name, Channel: t.Channel, ServiceManager: t.ServiceManager, Members: rows,
		Policy: pol.Name, Posts: t.Posts, VacancyPercent: optional(st.Percent, st.Known()),
		Summary: TeamFigures{Practitioners: s.Practitioners, OpenCases: s.OpenCases, AverageCases: s.AverageCases,
			AveragePoints: s.AveragePoints, LoadPoints: domain.Round1(s.Load), CapacityPoints: domain.Round1(s.Capacity),
			LoadPercent: optional(s.Percent, s.Capacity > 0), Green: s.Green, Amber: s.Amber, Red: s.Red, Queued: s.Queued},
		Queue: []QueuedCase{}}
	var queue []*domain.Case
	for _, c := range cases {
		if c.Status == domain.CaseQueued || c.Status == domain.CaseProposed {
			queue = append(queue, c)
		}
	}
	pol.SortQueue(queue)
	for _, c := range queue {
		q := QueuedCase{Ref: c.Ref, Type: c.Type, Factors: c.Factors, Points: pol.Points(c),
			HighRisk: pol.IsHighRisk(c), Status: c.Status, QueuedSince: c.QueuedSince}
		if q.HighRisk {
			out.Summary.QueuedHighRisk++
		}
		out.Queue = append(out.Queue, q)
	}
	tot := &j.totals
	tot.Teams++
	tot.Practitioners += s.Practitioners
	tot.OpenCases += s.OpenCases
	tot.Green, tot.Amber, tot.Red, tot.Queued = tot.Green+s.Green, tot.Amber+s.Amber, tot.Red+s.Red, tot.Queued+s.Queued
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if j.n > 0 {
		j.w.WriteByte(',')
	}
	j.n++
	j.w.WriteByte('\n')
	_, err = j.w.Write(b)
	return err
}

func (j *jsonWriter) end() error {
	if j.totals.Practitioners > 0 {
		j.totals.AverageCases = domain.Round1(float64(j.totals.OpenCases) / float64(j.totals.Practitioners))
	}
	b, err := json.Marshal(j.totals)
	if err != nil {
		return err
	}
	j.w.WriteString("\n],\"totals\":")
	j.w.Write(b)
	j.w.WriteString("}\n")
	return j.w.Flush()
}

// reviewed adds each case carrier's last caseload review and the next due.
// rows are in the order of members (rows sorted them).
func reviewed(tx domain.Tx, pol *domain.Policy, t *domain.Team, members []*domain.Member, rs []Row) error {
	reviews, err := tx.Reviews(t.ID)
	if err != nil {
		return err
	}
	last := domain.LastReviews(reviews)
	for i, m := range members {
		if lr := last[m.Person]; lr != nil {
			day := lr.Day
			rs[i].LastReview = &day
		}
		rs[i].ReviewDue = pol.ReviewDue(m, last[m.Person], time.UTC)
	}
	return nil
}
