// One Idempotency-Key per distinct body: a double click or a retry of the same request sends the same key,
// so the API makes one request; a changed body is a new request with a new key.

export class IdempotencyKeys {
  private readonly keys = new Map<string, string>();

  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  keyFor(body: unknown): string {
    const fingerprint = JSON.stringify(body);
    let key = this.keys.get(fingerprint);
    if (key === undefined) {
      key = this.newKey();
      this.keys.set(fingerprint, key);
    }
    return key;
  }

  /** After a final answer (success or a refusal the user must act on), the next try is a new request. */
  forget(body: unknown): void {
    this.keys.delete(JSON.stringify(body));
  }
}
