/**
 * Personal data (GDPR): export everything held about one person and erase them (deactivate, and
 * a pseudonym in place of their name and e-mail across modules, the audit trail included). Owns no
 * tables: it asks each module's door (users, auth, people, dispatch, audit).
 */
export { privacyRoutes } from './privacy.routes.js';
export { exportPersonalData, erasePerson } from './privacy.service.js';
