import type { NextConfig } from "next";

// Everything the browser loads comes from this app: no CDN, no external font, no analytics.
// The Content-Security-Policy (with a fresh script nonce per response) is set by proxy.ts.

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default config;
