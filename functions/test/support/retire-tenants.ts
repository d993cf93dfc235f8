/** Every emulator test file retires the tenants it created when it ends (see retireIssuedTenants). */
import { retireIssuedTenants } from "./emulator";

afterAll(retireIssuedTenants);
