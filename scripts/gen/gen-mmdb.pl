#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# Writes a small MaxMind-format database in GeoLite2's layout (the ASN
# database's autonomous_system_number and autonomous_system_organization,
# and the country database's country.iso_code, in one file), for the demo
# and the tests: the MMDB sources of enrichment need a database, and
# GeoLite2 itself cannot be downloaded here. IPv4 networks are also
# reachable as IPv4-mapped IPv6 (alias_ipv6_to_ipv4), as in GeoLite2.
#
# usage: gen-mmdb.pl OUT [PREFIX ASN AS-NAME COUNTRY]...
#   OUT is written through OUT.tmp and a rename, so a reader never sees a
#   half-written file. An ASN of 0 or an empty name/country leaves it out.
# Needs Debian's libmaxmind-db-writer-perl.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

die "usage: $0 OUT [PREFIX ASN AS-NAME COUNTRY]...\n" if @ARGV < 1 || (@ARGV - 1) % 4;
my ($out, @nets) = @ARGV;
my %types = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string',
	country => 'map', iso_code => 'utf8_string');
my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6, record_size => 24,
	database_type => 'xdpflow-GeoLite2-layout', languages => ['en'],
	description => { en => 'xdpflow generated database' }, remove_reserved_networks => 0,
	alias_ipv6_to_ipv4 => 1, map_key_type_callback => sub { $types{ $_[0] } });
while (@nets) {
	my ($net, $asn, $name, $cc) = splice(@nets, 0, 4);
	my %rec;
	$rec{autonomous_system_number} = $asn + 0 if $asn;
	$rec{autonomous_system_organization} = $name if length $name;
	$rec{country} = { iso_code => $cc } if length $cc;
	$t->insert_network($net, \%rec);
}
open my $fh, '>:raw', "$out.tmp" or die "$out.tmp: $!\n";
$t->write_tree($fh);
close $fh or die "$out.tmp: $!\n";
rename "$out.tmp", $out or die "$out: $!\n";
