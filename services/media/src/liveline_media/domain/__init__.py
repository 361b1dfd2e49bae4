"""The media service's pure logic: models, rules and errors of on-site videos, from upload to the published clip. No I/O imports."""
