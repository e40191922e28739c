package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// DigestFunc builds a team's digest messages inside a transaction. The
// scheduler's digest package provides it; the engine uses it for
// /caseload digest.
type DigestFunc func(tx domain.Tx, team *domain.Team, now time.Time) ([]domain.Message, error)

// Engine runs commands. Build it with New.
type Engine struct {
	store   domain.Store
	policy  *domain.Policy
	prompts *prompts.Set
	loc     *time.Location
	admins  map[domain.PersonID]bool
	// AckWithin, when set, overrides the policy's acknowledgement deadline
	// (SAFELOAD_ACK_WITHIN).
	AckWithin time.Duration
	// Digest builds /caseload digest; nil falls back to the board.
	Digest DigestFunc
	// Wake is called after a commit that put messages in the outbox.
	Wake func()

	boards boardCache
	// capTexts keeps /capacity's main sentence.
	capTexts prompts.Kept[capacityTextKey]
	// reviewTexts keeps /capacity's line about caseload reviews.
	reviewTexts prompts.Kept[reviewTextKey]
	// caseLines keeps /capacity's lines about each case held.
	caseLines prompts.Kept[caseLineKey]
}

var _ Handler = (*Engine)(nil)

// New builds an engine over a store with a policy, the prompts, the time
// zone of working days, and the bootstrap admins (SAFELOAD_ADMINS).
func New(st domain.Store, pol *domain.Policy, p *prompts.Set, loc *time.Location, admins []domain.PersonID) *Engine {
	e := &Engine{store: st, policy: pol, prompts: p, loc: loc, admins: map[domain.PersonID]bool{}}
	for _, a := range admins {
		e.admins[a] = true
	}
	return e
}

// Policy is the policy in force.
func (e *Engine) Policy() *domain.Policy { return e.policy }

// Prompts are the sentences in force.
func (e *Engine) Prompts() *prompts.Set { return e.prompts }

// Location is the time zone of working days.
func (e *Engine) Location() *time.Location { return e.loc }

// IsBootstrapAdmin reports whether p is named in SAFELOAD_ADMINS.
func (e *Engine) IsBootstrapAdmin(p domain.PersonID) bool { return e.admins[p] }

// Admins lists the bootstrap admins and every person granted admin.
func (e *Engine) Admins() []domain.PersonID {
	seen := map[domain.PersonID]bool{}
	var out []domain.PersonID
	for a := range e.admins {
		seen[a] = true
		out = append(out, a)
	}
	_ = e.store.View(func(tx domain.Tx) error {
		// People granted admin are recorded on their Person; few, so a scan of memberships is not needed.
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		for _, t := range teams {
			ms, err := tx.Members(t.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.Role == domain.RoleAdmin && !seen[m.Person] {
					seen[m.Person] = true
					out = append(out, m.Person)
				}
			}
		}
		return nil
	})
	sortPeople(out)
	return out
}

// say renders a prompt with key/value pairs.
func (e *Engine) say(name string, kv ...any) string { return e.prompts.Say(name, data(kv...)) }

func data(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// Handle runs one request. Parsing happens before any store access, so a
// malformed command cannot change anything; a refusal rolls its
// transaction back, so it cannot either. A panic while handling it is
// caught here, the one place every adapter's request passes: the caller
// gets a private internal-error answer and the Response says it panicked.
func (e *Engine) Handle(ctx context.Context, req Request) (resp Response) {
	defer func() {
		if p := recover(); p != nil {
			resp = e.refusal(req, resp.Name, &domain.PanicError{Value: p, Stack: debug.Stack()}, resp.Team)
		}
	}()
	if domain.NameProblem(req.CallerName) != "" {
		req.CallerName = "" // a display name no import would take is not kept
	}
	var c *cmd
	var err error
	if req.Action != "" {
		c, err = parseAction(req.Action)
	} else {
		c, err = parse(req.Platform, req.Command, req.Text)
	}
	if err != nil {
		return e.refusal(req, "usage", err, "")
	}
	var r *run
	fn := func(tx domain.Tx) error {
		r = &run{e: e, tx: tx, req: req, c: c, pol: e.policy, now: tx.Now()}
		r.day = domain.DateOf(r.now.In(e.loc))
		return r.exec()
	}
	spec, speculates := e.store.(domain.Speculator)
	switch {
	case c.readOnly():
		err = e.store.View(fn)
	case speculates:
		// Run on a snapshot first: a refusal costs a read, and otherwise
		// only the writes (checked against what was read) join the commit.
		err = spec.Speculate(fn, refused)
	case e.refusedOnRead(fn, &err):
		// A store that cannot speculate (etcd): refused before any write,
		// it costs a read, and never rolls back (and re-runs) the other
		// actions of a shared commit.
	default:
		// Concurrent actions share a commit; fn may run more than once,
		// which the engine's actions allow: all their effects are in the
		// transaction.
		err = e.store.Group(fn)
	}
	team := ""
	if r != nil && r.team != nil {
		team = r.team.ID
	}
	if err != nil {
		return e.refusal(req, c.name, err, team)
	}
	if r.enqueued && e.Wake != nil {
		e.Wake()
	}
	return Response{Messages: r.reply, Name: c.name, Team: team}
}

// refusedOnRead runs a write command in a read transaction first. Most
// refusals (permissions, unknown cases, bad values) come before the first
// write, so they show up here; a command that gets as far as writing fails
// with an internal error in a read transaction and is run for real.
func (e *Engine) refusedOnRead(fn func(domain.Tx) error, out *error) (isRefused bool) {
	defer func() {
		if recover() != nil {
			isRefused = false // run it for real: the write path reports it
		}
	}()
	err := e.store.View(fn)
	if refused(err) {
		*out = err
		return true
	}
	return false
}

// refused tells a refusal (bad usage, no permission, a rule) from a failure
// on our side.
func refused(err error) bool {
	var ue *usageError
	return errors.As(err, &ue) || (err != nil && domain.ErrorCode(err) != domain.EINTERNAL)
}

func (e *Engine) refusal(req Request, name string, err error, team string) Response {
	var ue *usageError
	if errors.As(err, &ue) {
		text := e.say(ue.usage, "Platform", req.Platform)
		if ue.key != "" {
			ue.reason = e.say(ue.key)
		}
		if ue.reason != "" {
			text = ue.reason + "\n" + text
		}
		return Response{Name: name, Code: domain.EINVALID, Team: team,
			Messages: []domain.Message{{Audience: domain.ToCaller, Text: text}}}
	}
	code := domain.ErrorCode(err)
	resp := Response{Name: name, Code: code, Team: team,
		Messages: []domain.Message{{Audience: domain.ToCaller, Text: domain.ErrorMessage(err)}}}
	switch code {
	case domain.EINTERNAL:
		resp.Err = err
		resp.Messages[0].Text = e.say("error.internal")
		var pe *domain.PanicError
		resp.Panicked = errors.As(err, &pe)
	case domain.EUNAVAILABLE:
		resp.Err = err
		resp.Messages[0].Text = e.say("error.unavailable")
	}
	return resp
}

// readOnly commands run in a View transaction.
func (c *cmd) readOnly() bool {
	switch c.name {
	case "caseload.board", "case.show", "capacity.show", "capacity.member":
		return true
	case "caseload.policy":
		return c.tl.word == ""
	}
	return false
}

// parseAction reads a button's opaque action ID: "accept:17", "decline:17",
// "ack:5".
func parseAction(action string) (*cmd, error) {
	verb, arg, ok := strings.Cut(action, ":")
	id, err := strconv.ParseUint(arg, 10, 64)
	if !ok || err != nil || id == 0 {
		return nil, &usageError{usage: "usage.button"}
	}
	switch verb {
	case "accept", "decline", "ack":
		return &cmd{name: "button." + verb, usage: "usage.button", action: verb, id: id}, nil
	}
	return nil, &usageError{usage: "usage.button"}
}

// run is one request inside its transaction.
type run struct {
	e        *Engine
	tx       domain.Tx
	req      Request
	c        *cmd
	pol      *domain.Policy
	now      time.Time
	day      domain.Date
	team     *domain.Team
	direct   bool // the team is the caller's, from a DM
	reply    []domain.Message
	enqueued bool
	seen     map[domain.PersonID]*domain.Member // members of team seenIn read, in read-only commands
	seenIn   string
}

func (r *run) say(name string, kv ...any) string { return r.e.say(name, kv...) }

func (r *run) exec() error {
	switch r.c.name {
	case "caseload.setup":
		return r.setup()
	case "button.accept", "button.decline":
		return r.answerButton()
	case "button.ack":
		return r.concernAction("ack")
	case "capacity.ack":
		return r.concernAction("ack")
	case "capacity.plan":
		return r.concernAction("plan")
	case "capacity.resolve":
		return r.concernAction("resolve")
	case "capacity.agree", "capacity.disagree":
		return r.concernAnswer(r.c.name == "capacity.agree")
	}
	if err := r.resolveTeam(); err != nil {
		return err
	}
	if err := r.execTeam(); err != nil {
		return err
	}
	if r.direct {
		for _, m := range r.reply {
			if m.Audience == domain.ToChannel {
				// Team data is posted in the team's channel only; a DM
				// stands for the team for private answers alone.
				return domain.Errorf(domain.EINVALID, "%s", r.say("error.team_channel_only",
					"Team", r.team.Name, "Channel", channelMention(r.team.Channel)))
			}
		}
	}
	return nil
}

// channelMention is how a chat shows a link to a channel.
func channelMention(ch domain.ChannelID) string {
	switch p := ch.Platform(); p {
	case "slack", "discord":
		return "<#" + strings.TrimPrefix(string(ch), p+":") + ">"
	}
	return ""
}

// execTeam runs a command of the request's team.
func (r *run) execTeam() error {
	switch r.c.name {
	case "caseload.add":
		return r.addMember()
	case "caseload.service-manager":
		return r.setServiceManager()
	case "caseload.board":
		return r.board()
	case "caseload.digest":
		return r.digest()
	case "case.add":
		return r.caseAdd()
	case "case.close":
		return r.caseClose()
	case "case.update":
		return r.caseUpdate()
	case "case.involve":
		return r.caseInvolve()
	case "case.show":
		return r.caseShow()
	case "allocate.queue":
		return r.queue()
	case "allocate.propose", "allocate.propose.override", "allocate.transfer":
		return r.propose()
	case "allocate.accept":
		return r.answerCommand(true)
	case "allocate.decline":
		return r.answerCommand(false)
	case "allocate.withdraw":
		return r.withdraw()
	case "allocate.done":
		return r.done()
	case "allocate.review":
		return r.overrideReview()
	case "capacity.show":
		return r.capacityShow(r.req.Caller, false)
	case "capacity.member":
		return r.capacityShow(r.c.person, true)
	case "capacity.concern":
		return r.concern()
	case "capacity.hours":
		return r.hours()
	}
	if ok, err := r.teamlife(); ok {
		return err
	}
	return fmt.Errorf("engine: no handler for %s", r.c.name)
}

// resolveTeam finds the team of the request's channel; outside a team
// channel, a person in exactly one team is taken to mean that team (a DM).
func (r *run) resolveTeam() error {
	t, err := r.tx.TeamByChannel(r.req.Channel)
	if err == nil {
		r.setTeam(t)
		return nil
	} else if domain.ErrorCode(err) != domain.ENOTFOUND {
		return err
	}
	ms, err := r.tx.Memberships(r.req.Caller)
	if err != nil {
		return err
	}
	if len(ms) == 1 && r.req.Direct {
		r.direct = true
		return r.useTeam(ms[0].Team)
	}
	if len(ms) == 1 {
		t, err := r.tx.Team(ms[0].Team)
		if err != nil {
			return err
		}
		return domain.Errorf(domain.EINVALID, "%s", r.say("error.not_team_channel", "Team", t.Name, "Channel", channelMention(t.Channel)))
	}
	return domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.no_team", "Many", len(ms) > 1))
}

func (r *run) useTeam(id string) error {
	t, err := r.tx.Team(id)
	if err != nil {
		return err
	}
	r.setTeam(t)
	return nil
}

// ---- who may do what ----

func (r *run) isAdmin(p domain.PersonID) bool {
	if r.e.admins[p] {
		return true
	}
	if ms, err := r.tx.Memberships(p); err == nil {
		for _, m := range ms {
			if m.Role == domain.RoleAdmin {
				return true
			}
		}
	}
	return false
}

// member is p's membership of the current team, or nil. A read-only
// command, which changes nobody, reads each member once.
func (r *run) member(p domain.PersonID) *domain.Member {
	if r.seenIn != r.team.ID {
		r.seen, r.seenIn = nil, r.team.ID
	}
	if m, ok := r.seen[p]; ok && r.c.readOnly() {
		return m
	}
	m, err := r.tx.Member(r.team.ID, p)
	if err != nil {
		m = nil
	}
	if r.c.readOnly() {
		if r.seen == nil {
			r.seen = map[domain.PersonID]*domain.Member{}
		}
		r.seen[p] = m
	}
	return m
}

// canManage: admins, the team's service manager, and its managers.
func (r *run) canManage(p domain.PersonID) bool {
	// The team's own manager first: it is the common case, and its
	// membership is read already; an admin's memberships in every team last.
	if m := r.member(p); m != nil && m.Role.Manages() {
		return true
	}
	return (r.team.ServiceManager != "" && r.team.ServiceManager == p) || r.isAdmin(p)
}

func (r *run) forbid(what string) error {
	return domain.Errorf(domain.EFORBIDDEN, "%s", r.say("refuse.manager", "Team", r.team.Name, "What", r.say("what."+what)))
}

func (r *run) requireManager(what string) error {
	if !r.canManage(r.req.Caller) {
		return r.forbid(what)
	}
	return nil
}

func (r *run) requireAdmin(what string) error {
	if !r.isAdmin(r.req.Caller) {
		return domain.Errorf(domain.EFORBIDDEN, "%s", r.say("refuse.admin", "What", r.say("what."+what)))
	}
	return nil
}

// requireSeer lets in anyone who belongs to the team or oversees it.
func (r *run) requireSeer() error {
	if r.member(r.req.Caller) != nil || r.canManage(r.req.Caller) {
		return nil
	}
	return domain.Errorf(domain.EFORBIDDEN, "%s", r.say("refuse.not_member", "Team", r.team.Name))
}

// requireCarrier lets in practitioners and ASYEs of the team.
func (r *run) requireCarrier(what string) (*domain.Member, error) {
	m := r.member(r.req.Caller)
	if m == nil {
		return nil, domain.Errorf(domain.EFORBIDDEN, "%s", r.say("refuse.not_member", "Team", r.team.Name))
	}
	if !m.Role.CarriesCases() {
		return nil, domain.Errorf(domain.EFORBIDDEN, "%s", r.say("refuse.practitioner", "Team", r.team.Name, "What", r.say("what."+what), "Role", m.Role.Label()))
	}
	return m, nil
}

// ---- shared helpers ----

// name is how a person is shown: their name in this team, else their
// person record, else their ID.
func (r *run) name(p domain.PersonID) string {
	if r.team != nil {
		if m := r.member(p); m != nil && m.Name != "" {
			return m.Name
		}
	}
	if pr, err := r.tx.Person(p); err == nil && pr.Name != "" {
		return pr.Name
	}
	if p == r.req.Caller && r.req.CallerName != "" {
		return r.req.CallerName
	}
	if _, id, ok := strings.Cut(string(p), ":"); ok && id != "" {
		return id
	}
	return string(p)
}

func (r *run) audit(action, subject, before, after, detail string) error {
	team := ""
	if r.team != nil {
		team = r.team.ID
	}
	return r.tx.Audit(&domain.AuditEntry{Actor: r.req.Caller, Team: team, Action: action,
		Subject: subject, Before: before, After: after, Detail: detail})
}

// tell puts a private message for someone else in the outbox.
func (r *run) tell(to domain.PersonID, kind string, m domain.Message) error {
	m.Audience = domain.ToPerson
	m.To = string(to)
	r.enqueued = true
	return r.tx.Enqueue(&domain.OutboxItem{Dest: string(to), Kind: kind, Message: m})
}

func (r *run) toCaller(m domain.Message) {
	m.Audience = domain.ToCaller
	r.reply = append(r.reply, m)
}

func (r *run) toChannel(m domain.Message) {
	m.Audience = domain.ToChannel
	m.To = string(r.req.Channel)
	r.reply = append(r.reply, m)
}

// managers of the current team: those who must hear of concerns.
func (r *run) managers() ([]domain.PersonID, error) {
	ms, err := r.tx.Members(r.team.ID)
	if err != nil {
		return nil, err
	}
	var out []domain.PersonID
	for _, m := range ms {
		if m.Role == domain.RoleManager {
			out = append(out, m.Person)
		}
	}
	return out, nil
}

// cases are the current team's open cases: every figure the engine shows
// is worked out from them, and closed cases, which pile up over the years,
// count for nothing.
func (r *run) cases() ([]*domain.Case, error) {
	return r.tx.OpenCases(r.team.ID)
}

// workload of one member now, from their own cases only.
func (r *run) workload(m *domain.Member) (domain.Workload, error) {
	cs, err := r.tx.HeldCases(r.team.ID, m.Person)
	if err != nil {
		return domain.Workload{}, err
	}
	return r.pol.Workload(m, cs, r.day), nil
}

// findCase looks the reference up in this team, saying so when it is in
// another team or nowhere.
func (r *run) findCase(ref string) (*domain.Case, error) {
	c, err := r.tx.Case(r.team.ID, ref)
	if err == nil {
		return c, nil
	}
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		return nil, err
	}
	if c, ok, err := r.incomingCase(ref); ok || err != nil {
		return c, err // a case on its way from another team
	}
	if err := r.checkRef(ref); err != nil {
		return nil, err
	}
	if other, err := r.tx.CaseTeam(ref); err == nil && other != r.team.ID {
		return nil, domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.case_other_team", "Ref", ref))
	}
	return nil, domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.case_unknown", "Ref", ref))
}

func sortPeople(ps []domain.PersonID) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j] < ps[j-1]; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// checkRef refuses a reference that is malformed or looks like a name, in
// the prompts' words.
func (r *run) checkRef(ref string) error {
	if p := domain.RefProblem(ref); p != "" {
		return domain.Errorf(domain.EINVALID, "%s", r.say("error.ref_"+p, "Ref", domain.Clip(ref, 40)))
	}
	return nil
}

// proposal loads a proposal, in the prompts' words when it is gone.
func (r *run) proposal(id uint64) (*domain.Proposal, error) {
	p, err := r.tx.Proposal(id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.no_such_proposal"))
	}
	return p, err
}
