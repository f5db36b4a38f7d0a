/** The users module's door: tenant memberships (admin API) and the sign-in membership lookup. */
export { usersRoutes } from './users.routes.js';
export { findMembershipForSignIn, soleTenantOfSubject, ensureMembership, type SignInMembership } from './users.membership.js';
export { membershipView, inviteMember, getMember, lockMember, pseudonymiseMembership, type MemberInvitations } from './users.service.js';
export type { UsersRoutesOptions } from './users.routes.js';
export { memberAccountsRoutes } from './member-accounts.routes.js';
export type { MemberAccounts, MemberIdentity } from './users.service.js';
