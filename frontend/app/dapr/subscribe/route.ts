/** daprd asks every app for programmatic subscriptions at start: the frontend has none. */

export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json([]);
}
