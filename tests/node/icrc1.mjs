// @dfinity/agent against a live emulator (`release serve`): an HttpAgent that fetches the root key (so every
// certificate is checked against it), an actor built from the token's .did (its JavaScript IDL, generated from the
// .did by the Rust test with candid_parser), icrc1_balance_of and icrc1_transfer signed with the Ed25519 identity
// `release serve` wrote. Prints one JSON line with the balances seen and the latency of each call; exits non-zero,
// with the agent's error, when anything fails. With FLEET_WRONG_ROOT_KEY=1 it only checks that a query is refused
// under another network's root key.
//
// Environment: FLEET_URL, FLEET_LEDGER (canister id), FLEET_PEM (PKCS#8 Ed25519 PEM), FLEET_IDL (path of the
// generated token.did.mjs), FLEET_TO (recipient principal), FLEET_AMOUNT (e8s to send).

import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Actor, HttpAgent, IC_ROOT_KEY } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// The PEM's 32-byte Ed25519 seed, read by node's own PKCS#8 parser (the JWK `d` member).
function identityFromPem(path) {
  const jwk = createPrivateKey(readFileSync(path)).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519') throw new Error(`${path}: not an Ed25519 key (${jwk.crv})`);
  return Ed25519KeyIdentity.fromSecretKey(new Uint8Array(Buffer.from(jwk.d, 'base64url')));
}

async function timed(latencies, name, call) {
  const started = performance.now();
  const result = await call();
  latencies[name] = Math.round((performance.now() - started) * 10) / 10;
  return result;
}

const identity = identityFromPem(required('FLEET_PEM'));
const { idlFactory } = await import(pathToFileURL(required('FLEET_IDL')).href);
const latency_ms = {};
const agent = await HttpAgent.create({ host: required('FLEET_URL'), identity });
await timed(latency_ms, 'fetch_root_key', () => agent.fetchRootKey());
const ledger = Actor.createActor(idlFactory, { agent, canisterId: required('FLEET_LEDGER') });

// FLEET_WRONG_ROOT_KEY=1: trust another network's root key (mainnet's, a valid BLS key that never signed anything
// here); the agent must refuse what the emulator signs (the query's node signature is checked against subnet keys
// read under a certificate that key cannot verify).
if (process.env.FLEET_WRONG_ROOT_KEY === '1') {
  agent.rootKey = new Uint8Array(Buffer.from(IC_ROOT_KEY, 'hex'));
  try {
    const balance = await ledger.icrc1_balance_of({ owner: identity.getPrincipal(), subaccount: [] });
    console.log(JSON.stringify({ refused: false, balance: balance.toString() }));
  } catch (error) {
    console.log(JSON.stringify({ refused: true, error: String(error?.message ?? error).split('\n')[0] }));
  }
  process.exit(0);
}

const me = { owner: identity.getPrincipal(), subaccount: [] };
const to = { owner: Principal.fromText(required('FLEET_TO')), subaccount: [] };
const amount = BigInt(required('FLEET_AMOUNT'));

const fee = await timed(latency_ms, 'icrc1_fee', () => ledger.icrc1_fee());
const before = await timed(latency_ms, 'icrc1_balance_of', () => ledger.icrc1_balance_of(me));
const toBefore = await ledger.icrc1_balance_of(to);
const transfer = await timed(latency_ms, 'icrc1_transfer', () =>
  ledger.icrc1_transfer({ from_subaccount: [], to, amount, fee: [], memo: [], created_at_time: [] }),
);
if (!('Ok' in transfer)) {
  throw new Error(`icrc1_transfer refused: ${JSON.stringify(transfer, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}
const after = await ledger.icrc1_balance_of(me);
const toAfter = await ledger.icrc1_balance_of(to);

console.log(
  JSON.stringify({
    principal: identity.getPrincipal().toText(),
    fee: fee.toString(),
    before: before.toString(),
    after: after.toString(),
    to_before: toBefore.toString(),
    to_after: toAfter.toString(),
    block: transfer.Ok.toString(),
    latency_ms,
  }),
);
