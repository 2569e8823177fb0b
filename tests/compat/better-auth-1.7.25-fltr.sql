create table "users" ("id" text not null primary key, "name" text not null, "email" text not null unique, "email_verified" boolean not null, "image" text, "created_at" timestamptz default CURRENT_TIMESTAMP not null, "updated_at" timestamptz default CURRENT_TIMESTAMP not null, "role" text, "banned" boolean, "ban_reason" text, "ban_expires" timestamptz, "username" text unique, "stripe_customer_id" text);

create table "sessions" ("id" text not null primary key, "expires_at" timestamptz not null, "token" text not null unique, "created_at" timestamptz default CURRENT_TIMESTAMP not null, "updated_at" timestamptz not null, "ip_address" text, "user_agent" text, "user_id" text not null references "users" ("id") on delete cascade, "impersonated_by" text, "active_organization_id" text, "active_team_id" text);

create table "accounts" ("id" text not null primary key, "account_id" text not null, "provider_id" text not null, "user_id" text not null references "users" ("id") on delete cascade, "access_token" text, "refresh_token" text, "id_token" text, "access_token_expires_at" timestamptz, "refresh_token_expires_at" timestamptz, "scope" text, "password" text, "created_at" timestamptz default CURRENT_TIMESTAMP not null, "updated_at" timestamptz not null);

create table "verifications" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expires_at" timestamptz not null, "created_at" timestamptz default CURRENT_TIMESTAMP not null, "updated_at" timestamptz default CURRENT_TIMESTAMP not null);

create table "jwks" ("id" text not null primary key, "public_key" text not null, "private_key" text not null, "created_at" timestamptz not null, "expires_at" timestamptz, "alg" text, "crv" text);

create table "organizations" ("id" text not null primary key, "name" text not null, "slug" text not null unique, "logo" text, "created_at" timestamptz not null, "metadata" text);

create table "teams" ("id" text not null primary key, "name" text not null, "member_count" integer not null, "organization_id" text not null references "organizations" ("id") on delete cascade, "created_at" timestamptz not null, "updated_at" timestamptz);

create table "team_members" ("id" text not null primary key, "team_id" text not null references "teams" ("id") on delete cascade, "user_id" text not null references "users" ("id") on delete cascade, "membership_key" text unique, "created_at" timestamptz);

create table "members" ("id" text not null primary key, "organization_id" text not null references "organizations" ("id") on delete cascade, "user_id" text not null references "users" ("id") on delete cascade, "role" text not null, "created_at" timestamptz not null);

create table "invitations" ("id" text not null primary key, "organization_id" text not null references "organizations" ("id") on delete cascade, "email" text not null, "role" text, "team_id" text, "status" text not null, "expires_at" timestamptz not null, "created_at" timestamptz default CURRENT_TIMESTAMP not null, "inviter_id" text not null references "users" ("id") on delete cascade);

create index "sessions_user_id_idx" on "sessions" ("user_id");

create index "accounts_user_id_idx" on "accounts" ("user_id");

create index "verifications_identifier_idx" on "verifications" ("identifier");

create index "teams_organization_id_idx" on "teams" ("organization_id");

create index "team_members_team_id_idx" on "team_members" ("team_id");

create index "team_members_user_id_idx" on "team_members" ("user_id");

create index "members_organization_id_idx" on "members" ("organization_id");

create index "members_user_id_idx" on "members" ("user_id");

create index "invitations_organization_id_idx" on "invitations" ("organization_id");

create index "invitations_email_idx" on "invitations" ("email");
