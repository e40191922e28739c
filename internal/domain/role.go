package domain

import "strings"

// Role is what a person may do in one team.
type Role string

const (
	RoleAdmin          Role = "admin"
	RoleServiceManager Role = "service_manager"
	RoleManager        Role = "manager"
	RolePractitioner   Role = "practitioner"
	RoleASYE           Role = "asye"
	RoleStudent        Role = "student"
)

// Roles lists every role in order of authority, highest first.
var Roles = []Role{RoleAdmin, RoleServiceManager, RoleManager, RolePractitioner, RoleASYE, RoleStudent}

// ParseRole accepts a role name in any case, with - or _ ("service-manager").
func ParseRole(s string) (Role, bool) {
	s = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
	for _, r := range Roles {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// CarriesCases reports whether a member of this role has capacity and may
// hold a case: practitioners and ASYEs only.
func (r Role) CarriesCases() bool { return r == RolePractitioner || r == RoleASYE }

// Manages reports whether the role may run the team's allocation work.
func (r Role) Manages() bool {
	return r == RoleManager || r == RoleServiceManager || r == RoleAdmin
}

// Label is the role as people say it.
func (r Role) Label() string {
	switch r {
	case RoleServiceManager:
		return "service manager"
	case RoleASYE:
		return "ASYE"
	}
	return string(r)
}
